/**
 * The archive is what was sent. A run retried after a channel failed recomputes its summary (late
 * events arrive, the baseline may come from elsewhere), so what it rendered need not be what the
 * first run archived and sent to the other channels. When the ledger already records this
 * report's archive for the window, a channel still due is sent the ARCHIVED rendering (summary,
 * email, Slack message, each read back and checked), so every channel and the archive hold the
 * same report. The Teams card is not archived: it is rendered again from the archived summary. Should the archived rendering not be usable, the recomputed one goes out, and a
 * warning says so.
 */
import type { ReportArchive } from '../archive/report-archive';
import type { Logger, RenderedReport } from '../ports';
import { emailSubject } from '../render/email';
import { buildTeamsMessage } from '../render/teams-card';
import { buildReportView, type Link } from '../render/view';
import type { ChannelResult } from './results';

/**
 * What the channels still due are sent: the archived rendering when `archived` says an earlier run
 * archived this window (read once, on the first channel that asks), else `report`.
 */
export function renderingToSend(
  archived: ChannelResult | undefined,
  archive: ReportArchive | undefined,
  report: RenderedReport,
  logger: Logger,
  /** The archive's copy of the report, for the Teams card's button. */
  archiveCopy?: Link,
): (call: { readonly deadline?: number }) => Promise<RenderedReport> {
  if (!archive || archived?.outcome !== 'skipped_already_delivered') return () => Promise.resolve(report);
  const windowTo = report.summary.window.to;
  let reading: Promise<RenderedReport> | undefined;
  return (call) => {
    reading ??= archive.readRendering(windowTo, call).then(
      (onRecord): RenderedReport => {
        logger.info('sending_archived_rendering', { location: archive.location, windowTo });
        const view = buildReportView(onRecord.summary);
        return {
          subject: emailSubject(view),
          html: onRecord.html,
          text: onRecord.text,
          slack: onRecord.slack,
          teams: buildTeamsMessage(view, archiveCopy ? { archive: archiveCopy } : {}),
          summary: onRecord.summary,
        };
      },
      (error: unknown): RenderedReport => {
        logger.warn('archived_rendering_unusable', {
          location: archive.location,
          windowTo,
          error: error instanceof Error ? error.message : String(error),
          sending: 'the rendering of this run, which may differ from what the archive and the other channels hold',
        });
        return report;
      },
    );
    return reading;
  };
}
