/**
 * Renders one summary into every medium at once: the email (subject, HTML, text), the Slack
 * `chat.postMessage` arguments of the channel post and its thread reply, and the Teams workflow
 * message (an Adaptive Card), all from one view of the summary (render/view/), built once. Pure:
 * no I/O, no clock.
 */
import type { Summary } from '../core/types';
import type { RenderedReport } from '../ports';
import { renderEmail } from './email';
import { buildSlackReport } from './slack-blocks';
import { buildTeamsMessage } from './teams-card';
import { buildReportView, type Link } from './view';

export interface RenderOptions {
  /** Slack channel ID the post goes to. */
  readonly slackChannel: string;
  /** The archive's copy of this report, for the Teams card's button; absent when the report is not archived. */
  readonly archive?: Link;
}

export function renderReport(summary: Summary, options: RenderOptions): RenderedReport {
  const view = buildReportView(summary);
  const email = renderEmail(view);
  return {
    subject: email.subject,
    html: email.html,
    text: email.text,
    slack: buildSlackReport(view, options.slackChannel),
    teams: buildTeamsMessage(view, options.archive ? { archive: options.archive } : {}),
    summary,
  };
}
