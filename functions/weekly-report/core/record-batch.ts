/**
 * Normalized audit events in columns: how events parsed on one thread reach the aggregates on
 * another. Parsing (UTF-8 decoding, `JSON.parse`, normalizing) is most of the cost of a report;
 * the command line does it in worker threads (cli/decode-pool.ts), and the main thread keeps what
 * must see every event in order: the paging protocol, the de-duplication of event ids and the
 * aggregates. A batch is typed arrays (handed over without copying) and one table of the distinct
 * strings it holds (a page of 1000 events repeats its people, actions and resource types), so
 * handing it over costs a fraction of parsing it. Reading a record back fills one reused
 * EventRecord: the aggregates see exactly what `EventRecord.read` of the raw event gives. Pure.
 */
import { EventRecord, type PersonField } from './normalize';

/** The string fields of a record, in the order of their columns. */
const STRING_FIELDS = [
  'person',
  'actorType',
  'actorMode',
  'action',
  'resourceType',
  'resourceId',
  'resourceName',
  'clientIp',
  'country',
  'eventName',
  'personValue',
  'agentName',
] as const;

/** Columns per record in `codes`: the string fields, the event id, the flags. */
const WIDTH = STRING_FIELDS.length + 2;
const ID = STRING_FIELDS.length;
const FLAGS = STRING_FIELDS.length + 1;
/** `codes[ID]` of an event without a usable id (malformed events may lack one: never de-duplicated). */
const NO_ID = 0xffffffff;

const DELEGATED = 1;
const WELL_FORMED = 2;
/** `evt.name` is a string other than the MCP server's: the source leaves the event out (adapters/datadog/audit-page.ts). */
const OTHER_NAME = 4;
const PERSON_SHIFT = 3;
/** Bits 3–4 hold the person field; `is_mcp_call` is the next. */
const MCP_CALL = 32;
const PERSON_FIELDS: readonly PersonField[] = ['', 'id', 'email', 'name'];

/** Events in columns; every array holds `length` records. Structured-cloneable; the typed arrays' buffers may be transferred. */
export interface RecordBatch {
  readonly length: number;
  /** Every distinct string of the batch; `codes` index it. */
  readonly strings: readonly string[];
  /** `WIDTH` numbers per record: its string fields, its id (or NO_ID) and its flags. */
  readonly codes: Uint32Array;
  /** `CallRecord.time` of each record. */
  readonly times: Float64Array;
  /** The source's own time of each record (for the audit search: its outer timestamp, by `Date.parse`). */
  readonly sourceTimes: Float64Array;
}

/** The buffers of `batch`, for a `postMessage` transfer list. */
export function batchBuffers(batch: RecordBatch): ArrayBuffer[] {
  return [batch.codes.buffer, batch.times.buffer, batch.sourceTimes.buffer] as ArrayBuffer[];
}

/** Builds a batch one record at a time; `finish` hands it over and the builder is not used again. */
export class RecordBatchBuilder {
  private readonly strings: string[] = [];
  private readonly codeOf = new Map<string, number>();
  private codes: Uint32Array;
  private times: Float64Array;
  private sourceTimes: Float64Array;
  private count = 0;

  constructor(expected = 256) {
    const capacity = Math.max(16, expected);
    this.codes = new Uint32Array(capacity * WIDTH);
    this.times = new Float64Array(capacity);
    this.sourceTimes = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /**
   * Adds `record` as it is now (it may be overwritten after), with the source's own time of the
   * event and whether its `evt.name` names another kind of event.
   */
  add(record: EventRecord, sourceTime: number, otherName: boolean): void {
    if (this.count === this.times.length) this.grow();
    const at = this.count * WIDTH;
    const codes = this.codes;
    codes[at] = this.code(record.person);
    codes[at + 1] = this.code(record.actorType);
    codes[at + 2] = this.code(record.actorMode);
    codes[at + 3] = this.code(record.action);
    codes[at + 4] = this.code(record.resourceType);
    codes[at + 5] = this.code(record.resourceId);
    codes[at + 6] = this.code(record.resourceName);
    codes[at + 7] = this.code(record.clientIp);
    codes[at + 8] = this.code(record.country);
    codes[at + 9] = this.code(record.eventName);
    codes[at + 10] = this.code(record.personValue);
    codes[at + 11] = this.code(record.agentName);
    codes[at + ID] = record.id === undefined ? NO_ID : this.code(record.id);
    codes[at + FLAGS] =
      (record.delegated ? DELEGATED : 0) |
      (record.wellFormed ? WELL_FORMED : 0) |
      (otherName ? OTHER_NAME : 0) |
      (record.mcpCall ? MCP_CALL : 0) |
      (PERSON_FIELDS.indexOf(record.personField) << PERSON_SHIFT);
    this.times[this.count] = record.time;
    this.sourceTimes[this.count] = sourceTime;
    this.count++;
  }

  finish(): RecordBatch {
    const n = this.count;
    return {
      length: n,
      strings: this.strings,
      codes: this.codes.subarray(0, n * WIDTH),
      times: this.times.subarray(0, n),
      sourceTimes: this.sourceTimes.subarray(0, n),
    };
  }

  private code(value: string): number {
    let code = this.codeOf.get(value);
    if (code === undefined) {
      code = this.strings.length;
      this.strings.push(value);
      this.codeOf.set(value, code);
    }
    return code;
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const codes = new Uint32Array(capacity * WIDTH);
    codes.set(this.codes);
    this.codes = codes;
    const times = new Float64Array(capacity);
    times.set(this.times);
    this.times = times;
    const sourceTimes = new Float64Array(capacity);
    sourceTimes.set(this.sourceTimes);
    this.sourceTimes = sourceTimes;
  }
}

/** Reads the records of a batch back, one reused EventRecord at a time. */
export class RecordBatchReader {
  private readonly record = new EventRecord();

  constructor(readonly batch: RecordBatch) {}

  get length(): number {
    return this.batch.length;
  }

  /** Record `i`, in the reader's one EventRecord: valid until the next call. */
  at(i: number): EventRecord {
    const { codes, strings } = this.batch;
    const at = i * WIDTH;
    const r = this.record;
    r.person = strings[codes[at] as number] as string;
    r.actorType = strings[codes[at + 1] as number] as string;
    r.actorMode = strings[codes[at + 2] as number] as string;
    r.action = strings[codes[at + 3] as number] as string;
    r.resourceType = strings[codes[at + 4] as number] as string;
    r.resourceId = strings[codes[at + 5] as number] as string;
    r.resourceName = strings[codes[at + 6] as number] as string;
    r.clientIp = strings[codes[at + 7] as number] as string;
    r.country = strings[codes[at + 8] as number] as string;
    r.eventName = strings[codes[at + 9] as number] as string;
    r.agentName = strings[codes[at + 11] as number] as string;
    const flags = codes[at + FLAGS] as number;
    r.setPerson(
      PERSON_FIELDS[(flags >>> PERSON_SHIFT) & 3] as PersonField,
      strings[codes[at + 10] as number] as string,
    );
    r.delegated = (flags & DELEGATED) !== 0;
    r.wellFormed = (flags & WELL_FORMED) !== 0;
    r.mcpCall = (flags & MCP_CALL) !== 0;
    const id = codes[at + ID] as number;
    r.id = id === NO_ID ? undefined : strings[id];
    r.time = this.batch.times[i] as number;
    return r;
  }

  /** The source's own time of record `i` (see RecordBatchBuilder.add). */
  sourceTime(i: number): number {
    return this.batch.sourceTimes[i] as number;
  }

  /** Whether record `i`'s `evt.name` is a string naming another kind of audit event. */
  otherName(i: number): boolean {
    return ((this.batch.codes[i * WIDTH + FLAGS] as number) & OTHER_NAME) !== 0;
  }
}
