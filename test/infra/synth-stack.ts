/**
 * Test helper: builds the app exactly as `cdk synth` does (cdk.json context plus overrides),
 * with bundling skipped so infra tests take seconds; `Template.fromStack` runs cdk-nag too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createReportApp, type ReportApp } from '../../infra/app';

const CDK_JSON = path.join(__dirname, '../../cdk.json');

/** The context keys and feature flags of cdk.json, as a fresh clone has them. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')).context;
}

export interface SynthesizedStack extends ReportApp {
  readonly template: Template;
}

/** `overrides` play the role of `-c key=value` (values may be strings, as on the command line). */
export function synthesizeStack(overrides: Record<string, unknown> = {}): SynthesizedStack {
  const { app, stack } = createReportApp({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...overrides },
  });
  return { app, stack, template: Template.fromStack(stack) };
}
