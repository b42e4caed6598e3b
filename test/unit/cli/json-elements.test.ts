/**
 * Element-by-element parsing of a large JSON document: for any document JSON.parse accepts, the
 * items handed on are exactly the items of its top-level array or of its `data` array; for any
 * document JSON.parse refuses, it refuses too (or leaves it to JSON.parse), never hands on a
 * value JSON.parse would not give.
 */
import fc from 'fast-check';
import { streamElements } from '../../../functions/weekly-report/cli/json-elements';

function collect(text: string): { streamed: boolean; array: unknown[]; data: unknown[] } {
  const array: unknown[] = [];
  const data: unknown[] = [];
  const streamed = streamElements(text, { arrayItem: (v) => array.push(v), dataItem: (v) => data.push(v) });
  return { streamed, array, data };
}

/** Pretty or compact, with random spacing around the document. */
const layout = fc.constantFrom<(v: unknown) => string>(
  (v) => JSON.stringify(v),
  (v) => JSON.stringify(v, null, 2),
  (v) => ` \n\t${JSON.stringify(v, null, 1)}\r\n `,
);

describe('streamElements', () => {
  it('hands on exactly the items of a top-level array (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), layout, (items, show) => {
        const text = show(items);
        const { streamed, array, data } = collect(text);
        expect(streamed).toBe(true);
        expect(array).toEqual(JSON.parse(text));
        expect(data).toEqual([]);
      }),
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
