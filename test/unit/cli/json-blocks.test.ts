/**
 * A large JSON document in blocks: for any document JSON.parse accepts, the blocks hold exactly
 * the items of its top-level array or of its `data` array, whatever the block size and whatever
 * characters the items hold; for any document JSON.parse refuses, the scan refuses too (or leaves
 * it to JSON.parse), and never yields a block JSON.parse would not read.
 */
import fc from 'fast-check';
import { decodeBlock, documentBlocks } from '../../../cli/json-blocks';
import { RecordBatchReader } from '../../../functions/weekly-report/core/record-batch';

/** The items of every block, parsed as decodeBlock parses a block; `size` bytes per block. */
function collect(text: string, size = 16): { streamed: boolean; array: unknown[]; data: unknown[] } {
  const bytes = Buffer.from(text);
  const array: unknown[] = [];
  const data: unknown[] = [];
  const blocks = documentBlocks(bytes, size);
  for (let next = blocks.next(); ; next = blocks.next()) {
    if (next.done) return { streamed: next.value, array, data };
    const { kind, start, end } = next.value;
    const items = JSON.parse(`[${bytes.toString('utf8', start, end)}]`) as unknown[];
    (kind === 'array' ? array : data).push(...items);
  }
}

/** Pretty or compact, with random spacing around the document. */
const layout = fc.constantFrom<(v: unknown) => string>(
  (v) => JSON.stringify(v),
  (v) => JSON.stringify(v, null, 2),
  (v) => ` \n\t${JSON.stringify(v, null, 1)}\r\n `,
);

describe('documentBlocks', () => {
  it('hands on exactly the items of a top-level array, in blocks of any size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 20 }),
        layout,
        fc.integer({ min: 1, max: 200 }),
        (items, show, size) => {
          const text = show(items);
          const { streamed, array, data } = collect(text, size);
          expect(streamed).toBe(true);
          expect(array).toEqual(JSON.parse(text));
          expect(data).toEqual([]);
        },
      ),
    );
  });

  it('hands on exactly the items of a response’s data array, whatever else the response holds (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 20 }),
        fc.dictionary(
          fc.string().filter((k) => k !== 'data'),
          fc.jsonValue(),
          { maxKeys: 4 },
        ),
        fc.boolean(),
        layout,
        (items, others, dataFirst, show) => {
          const doc = dataFirst ? { data: items, ...others } : { ...others, data: items };
          const text = show(doc);
          const { streamed, data } = collect(text);
          expect(streamed).toBe(true);
          expect(data).toEqual((JSON.parse(text) as { data: unknown[] }).data);
        },
      ),
    );
  });

  it('cuts at item boundaries only, whatever the items’ strings hold (multi-byte characters, escaped quotes, brackets)', () => {
    const items = ['é"\\', { a: '}]",\\"' }, 'x'.repeat(40), ['😀', { '[': '{' }], 7, null];
    const text = JSON.stringify({ meta: { s: '"data":[' }, data: items });
    for (const size of [1, 3, 10, 1000]) expect(collect(text, size).data).toEqual(items);
  });

  it('leaves every other shape to JSON.parse, handing nothing on', () => {
    for (const text of ['{"a":1}', '{"data":{"x":1}}', '"text"', '42', 'null', '{}']) {
      expect(collect(text)).toEqual({ streamed: false, array: [], data: [] });
    }
  });

  it('refuses a response with two data arrays (JSON.parse would keep only the second)', () => {
    expect(() => collect('{"data":[1],"data":[2]}')).toThrow(/two "data" members/);
  });

  it('never accepts what JSON.parse refuses (property over damaged documents)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.nat(),
        fc.constantFrom('', '}', ']', ',', '"', '{', '[', ':', 'x', ' '),
        (items, asResponse, at, insert) => {
          const valid = JSON.stringify(asResponse ? { data: items, meta: { page: {} } } : items);
          const position = at % (valid.length + 1);
          const text = valid.slice(0, position) + insert + valid.slice(position + (insert === '' ? 1 : 0));
          let parsed = true;
          try {
            JSON.parse(text);
          } catch {
            parsed = false;
          }
          if (parsed) return; // the damage happened to leave valid JSON
          let outcome: 'refused' | 'left' | 'accepted';
          try {
            outcome = collect(text).streamed ? 'accepted' : 'left';
          } catch (error) {
            expect(error).toBeInstanceOf(SyntaxError);
            outcome = 'refused';
          }
          expect(outcome).not.toBe('accepted');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('decodeBlock', () => {
  it('unfolds the responses of an array, counts audit-shaped events and keeps their order', () => {
    const event = (id: string) => ({ id, attributes: { timestamp: '2026-11-16T09:00:00.000Z' } });
    const text = [JSON.stringify({ data: [event('a'), event('b')] }), JSON.stringify(event('c')), '5'].join(' ,\n');
    const outcome = decodeBlock(Buffer.from(text), 'array');
    if (!outcome.ok) throw new Error(outcome.error);
    expect(outcome.block).toMatchObject({ events: 4, auditEvents: 3 });
    const reader = new RecordBatchReader(outcome.block.records);
    expect([0, 1, 2, 3].map((i) => reader.at(i).id)).toEqual(['a', 'b', 'c', undefined]);
  });

  it('takes a data block’s items as events, a response among them too, and words what JSON.parse refuses', () => {
    const outcome = decodeBlock(Buffer.from('{"data":[]}'), 'data');
    expect(outcome.ok && outcome.block.events).toBe(1);
    const refused = decodeBlock(Buffer.from('{"id": x}'), 'data');
    expect(refused.ok).toBe(false);
  });
});
