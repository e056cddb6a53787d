import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withoutFields } from '../../scripts/lib/copyFields';

// A value of text-format COPY: any text, with the format's escapes for the bytes that separate fields and rows.
const value = fc
  .string({ unit: fc.constantFrom('a', 'é', '字', '😀', '\t', '\n', '\\', ' ', '0'), maxLength: 12 })
  .map((text) => text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));

async function collect(source: Buffer[], drop: number[]): Promise<string> {
  async function* chunks() {
    yield* source;
  }
  const out: Buffer[] = [];
  for await (const chunk of withoutFields(drop)(chunks())) out.push(chunk);
  return Buffer.concat(out).toString('utf8');
}

/** The same rows cut where the byte stream was split at `cuts` (anywhere, inside a character too). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const cut of at) {
    parts.push(bytes.subarray(from, cut));
    from = cut;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

describe('leaving fields out of text-format COPY data', () => {
  it('gives each row without the fields at the positions given, whatever the values and wherever the chunks end', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }).chain((width) =>
          fc.record({
            rows: fc.array(fc.array(value, { minLength: width, maxLength: width }), { maxLength: 8 }),
            drop: fc.uniqueArray(fc.integer({ min: 0, max: width - 1 }), { minLength: 1, maxLength: width - 1 }),
            cuts: fc.array(fc.nat(), { maxLength: 6 }),
          }),
        ),
        async ({ rows, drop, cuts }) => {
          const text = rows.map((fields) => `${fields.join('\t')}\n`).join('');
          const expected = rows
            .map((fields) => `${fields.filter((_, at) => !drop.includes(at)).join('\t')}\n`)
            .join('');
          expect(await collect(split(Buffer.from(text), cuts), drop)).toBe(expected);
        },
      ),
    );
  });

  it('refuses data that ends inside a row, and a row with fewer fields than a position left out', async () => {
    await expect(collect([Buffer.from('1\ta\n2\tb')], [0])).rejects.toThrow('the data ends inside a row');
    await expect(collect([Buffer.from('1\ta\n')], [2])).rejects.toThrow('a row has 2 fields, fewer than 3');
  });
});
