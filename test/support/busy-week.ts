/**
 * The busy week of issue 23: the usual generated week plus one person deleting 30 monitors and
 * another (a Datadog support user) making 40 calls. Added to the week `npm start` reports
 * (scripts/lib/local-run.ts `extraWindowEvents`), for the integration test of its groups and the
 * browser check of its email's height.
 */
import { auditEvent } from './audit-events';

const HOUR = 3_600_000;

/** Who deletes the monitors, and who calls as Datadog support. */
export const BUSY_DELETER = { id: 'u-mara-lindqvist', email: 'mara.lindqvist@example.com', name: 'Mara Lindqvist' };
export const BUSY_SUPPORT = { id: 'u-dd-support-7', email: 'support.engineer@datadoghq.com', name: 'Datadog Support' };
export const BUSY_DELETIONS = 30;
export const BUSY_SUPPORT_CALLS = 40;

/** The week's extra events: 30 monitor deletions on its second day, 40 support-user calls on its third. */
export function busyWeekEvents(window: { readonly from: number; readonly to: number }): Record<string, unknown>[] {
  const deletions = Array.from({ length: BUSY_DELETIONS }, (_, i) =>
    auditEvent({
      at: window.from + 24 * HOUR + 14 * HOUR + i * 4 * 60_000,
      user: BUSY_DELETER,
      action: 'deleted',
      type: 'monitor',
      id: `${9_100_000 + i}`,
      name: `Legacy check ${i + 1}`,
      country: 'Sweden',
    }),
  );
  const support = Array.from({ length: BUSY_SUPPORT_CALLS }, (_, i) =>
    auditEvent({
      at: window.from + 2 * 24 * HOUR + 9 * HOUR + i * 7 * 60_000,
      user: BUSY_SUPPORT,
      actorType: 'SUPPORT_USER',
      action: i % 5 === 0 ? 'modified' : 'accessed',
      type: i % 2 ? 'dashboard' : 'monitor',
      id: `res-${i}`,
      country: 'United States',
    }),
  );
  return [...deletions, ...support];
}
