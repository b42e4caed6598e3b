// CONTRACT STUB — being implemented by the lead right now; signatures are final.
import type { Mergeable } from '../ports';
import type { ReportSettings, Summary } from './types';

/** Streaming, mergeable aggregate of the report window's events. */
export class WindowAggregate implements Mergeable<WindowAggregate> {
  add(_raw: unknown): void {
    throw new Error('not implemented yet');
  }
  merge(_other: WindowAggregate): WindowAggregate {
    throw new Error('not implemented yet');
  }
  markIncomplete(_reason: string): void {
    throw new Error('not implemented yet');
  }
  /** Events added so far. */
  get events(): number {
    return 0;
  }
}

/** Streaming, mergeable aggregate of the baseline window (what people did before the report window). */
export class BaselineAggregate implements Mergeable<BaselineAggregate> {
  /** `previous` is the week-over-week comparison range (the last windowDays of the baseline), epoch ms. */
  constructor(readonly previous: { readonly from: number; readonly to: number }) {}
  add(_raw: unknown): void {
    throw new Error('not implemented yet');
  }
  merge(_other: BaselineAggregate): BaselineAggregate {
    throw new Error('not implemented yet');
  }
  markIncomplete(_reason: string): void {
    throw new Error('not implemented yet');
  }
  get events(): number {
    return 0;
  }
}

/** The summary JSON (schema 1) with anomaly flags; pure. */
export function summarize(
  _window: WindowAggregate,
  _baseline: BaselineAggregate | undefined,
  _settings: ReportSettings,
): Summary {
  throw new Error('not implemented yet');
}
