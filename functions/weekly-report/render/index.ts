/**
 * Renders one summary into every medium at once: the email (subject, HTML, text) and the
 * Slack `chat.postMessage` arguments. Pure: no I/O, no clock.
 */
import type { Summary } from '../core/types';
import type { RenderedReport } from '../ports';
import { renderEmail } from './email';
import { buildSlackMessage } from './slack-blocks';

export interface RenderOptions {
  /** Slack channel ID the post goes to. */
  readonly slackChannel: string;
}

export function renderReport(summary: Summary, options: RenderOptions): RenderedReport {
  const email = renderEmail(summary);
  return {
    subject: email.subject,
    html: email.html,
    text: email.text,
    slack: buildSlackMessage(summary, options.slackChannel),
    summary,
  };
}
