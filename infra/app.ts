/**
 * CDK app entry (cdk.json "app"): the only place that reads context. It validates the context
 * into a StackConfig (every problem in one message), builds the stack, and runs cdk-nag's
 * AwsSolutionsChecks on it, so `npx cdk synth` fails on bad context or an unacknowledged finding.
 */
import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseStackConfig, StackConfigError } from './config';
import { WeeklyReportStack } from './weekly-report-stack';

export const STACK_NAME = 'AiActivityAudit';
/** On the stack and on every resource it holds. */
export const PROJECT_TAGS: Readonly<Record<string, string>> = { project: 'ai-activity-audit' };

export interface ReportApp {
  readonly app: App;
  readonly stack: WeeklyReportStack;
}

/**
 * Builds the app from its context (cdk.json and `-c` when run by the CLI; `props.context` in tests).
 * @throws StackConfigError when the context is invalid
 */
export function createReportApp(props?: AppProps & { readonly entry?: string }): ReportApp {
  const app = new App(props);
  // The whole context, so a key the app does not read (a typo such as orgname) fails the synth.
  const config = parseStackConfig(app.node.getAllContext());
  const stack = new WeeklyReportStack(app, STACK_NAME, {
    config,
    description: 'AI Activity Audit: weekly report of Datadog MCP server activity (email and Slack)',
    ...(props?.entry !== undefined ? { entry: props.entry } : {}),
    // The stack's own tag, which CloudFormation also puts on what it creates (@aws-cdk/core:explicitStackTags
    // no longer makes one of Tags.of(stack)); Tags.of below tags every resource in the template.
    tags: PROJECT_TAGS,
  });
  for (const [key, value] of Object.entries(PROJECT_TAGS)) Tags.of(stack).add(key, value);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (require.main === module) {
  try {
    createReportApp().app.synth();
  } catch (error) {
    if (!(error instanceof StackConfigError)) throw error;
    // The message already lists every key and its fix; a stack trace would only bury it.
    process.stderr.write(`\n${error.message}\n\n`);
    process.exitCode = 1;
  }
}
