/**
 * Records in columns (core/record-batch.ts), as the CLI's workers hand them to the main thread:
 * read back, every record is what EventRecord.read of the raw event gives, and an aggregate fed
 * from batches sums up exactly as one fed the raw events.
 */
import fc from 'fast-check';
import { decodeSearchPage } from '../../../functions/weekly-report/adapters/datadog/audit-page';
import { BaselineAggregate, WindowAggregate } from '../../../functions/weekly-report/core/aggregate';
import { EventRecord } from '../../../functions/weekly-report/core/normalize';
import {
  batchBuffers,
  RecordBatchBuilder,
  RecordBatchReader,
} from '../../../functions/weekly-report/core/record-batch';
import { summarize } from '../../../functions/weekly-report/core/summarize';
import { reportSettings } from '../../../functions/weekly-report/core/types';
import { plainRecord } from '../../support/audit-events';
import { generateEvents, HOSTILE_STRINGS } from '../../support/generator';

const events: unknown[] = [
  ...generateEvents({
    seed: 33,
    from: new Date('2026-11-16T09:00:00Z'),
    to: new Date('2026-11-23T09:00:00Z'),
    count: 600,
    hostileRate: 0.1,
    malformedRate: 0.2,
    nonMcpRate: 0.05,
    // Actions through the MCP server (is_mcp_call as attribute or tag) and agents' events (a mode, an agent name).
    aiActivityRate: 0.2,
  }),
  null,
  42,
  'text',
  [],
  { id: 7, attributes: { timestamp: 1_763_283_600_000 } },
  { id: '', attributes: { attributes: { evt: { name: 5 }, usr: { name: HOSTILE_STRINGS[0] } } } },
];

/** Through structuredClone with the buffers transferred, as postMessage hands a batch over. */
function handedOver(builder: RecordBatchBuilder) {
  const batch = builder.finish();
  return structuredClone(batch, { transfer: batchBuffers(batch) });
}

describe('RecordBatch', () => {
  it('reads every record back as EventRecord.read gives it, after a transfer (property test)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...events), { minLength: 0, maxLength: 80 }), (sequence) => {
        const builder = new RecordBatchBuilder(4); // small, so it grows
        const scratch = new EventRecord();
        sequence.forEach((raw, i) => {
          builder.add(scratch.read(raw), i * 1000, i % 3 === 0);
        });
        const reader = new RecordBatchReader(handedOver(builder));
        expect(reader.length).toBe(sequence.length);
        sequence.forEach((raw, i) => {
          expect(plainRecord(reader.at(i))).toEqual(plainRecord(new EventRecord().read(raw)));
          expect(reader.sourceTime(i)).toBe(i * 1000);
          expect(reader.otherName(i)).toBe(i % 3 === 0);
        });
      }),
      { numRuns: 150, seed: 8 },
    );
  });

  it('fed to the aggregates from decoded pages, sums up exactly as the raw events do', () => {
    const settings = reportSettings({ org: 'Acme' });
    const viaRaw = new WindowAggregate();
    const viaBatches = new WindowAggregate();
    const previous = { from: 0, to: Date.parse('2026-11-20T00:00:00Z') };
    const baseRaw = new BaselineAggregate(previous);
    const baseBatches = new BaselineAggregate(previous);
    for (const raw of events) {
      viaRaw.add(raw);
      baseRaw.add(raw);
    }
    for (let start = 0; start < events.length; start += 100) {
      const body = Buffer.from(JSON.stringify({ data: events.slice(start, start + 100) }));
      const outcome = decodeSearchPage(body);
      if (!outcome.ok) throw new Error(outcome.problem);
      const reader = new RecordBatchReader(outcome.page.records);
      for (let i = 0; i < reader.length; i++) {
        viaBatches.addRecord(reader.at(i));
        baseBatches.addRecord(reader.at(i));
      }
    }
    expect(summarize(viaBatches, baseBatches, settings)).toEqual(summarize(viaRaw, baseRaw, settings));
  });
});

describe('decodeSearchPage', () => {
  const decode = (text: string) => decodeSearchPage(Buffer.from(text));

  it('names what is wrong with a body that is not a search response, and never quotes it', () => {
    expect(decode('<html>secret-token</html>')).toEqual({ ok: false, problem: 'the body is not JSON' });
    expect(decode('null')).toEqual({ ok: false, problem: 'the body is null, not an object' });
    expect(decode('{"data":null}')).toEqual({ ok: false, problem: 'data is null, not an array' });
    expect(decode('{"data":{}}')).toEqual({ ok: false, problem: 'data is an object, not an array' });
    expect(decode('{"data":[],"meta":[]}')).toEqual({ ok: false, problem: 'meta is an array, not an object' });
    expect(decode('{"data":[],"meta":{"page":{"after":5}}}')).toEqual({
      ok: false,
      problem: 'meta.page.after is a number, not a string',
    });
  });

  it('keeps the cursor, the status and the warnings, and reads a body that starts with a BOM', () => {
    const outcome = decode(
      '\uFEFF{"data":[{"id":"a"}],"meta":{"page":{"after":"c2"},"status":"done","warnings":[],"elapsed":5}}',
    );
    expect(outcome.ok && outcome.page.meta).toEqual({ page: { after: 'c2' }, status: 'done', warnings: [] });
    expect(outcome.ok && outcome.page.records.length).toBe(1);
    const bare = decode('{"data":[]}');
    expect(bare.ok && bare.page.meta).toBeUndefined();
  });

  it('decodes a body that is a view into a larger buffer', () => {
    const whole = Buffer.from('xx{"data":[{"id":"a"},{"id":"b"}]}yy');
    const outcome = decodeSearchPage(whole.subarray(2, whole.length - 2));
    expect(outcome.ok && new RecordBatchReader(outcome.page.records).at(1).id).toBe('b');
  });
});
