const TAB = 9;
const NEWLINE = 10;
const TAB_BYTE = Buffer.from([TAB]);
const NEWLINE_BYTE = Buffer.from([NEWLINE]);
/**
 * A stream transform of text-format COPY data that leaves out the fields at `drop` (column positions) of every row,
 * working on the bytes as they come: in that format a raw tab only separates fields and a raw newline only ends a row
 * (both are escaped inside values, and no byte of a multi-byte UTF-8 character is either), so a row is cut without
 * decoding it. A chunk may end anywhere, inside a row or a character; the rest waits for the next chunk.
 */
export function withoutFields(drop: number[]) {
  const dropped = new Set(drop);
  const last = Math.max(...drop);
  return async function* (chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
    let rest: Buffer = Buffer.alloc(0);
    for await (const chunk of chunks) {
      const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const out: Buffer[] = [];
      let start = 0;
      for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
        let from = start;
        let kept = 0;
        for (let field = 0; field <= last; field++) {
          const tab = data.indexOf(TAB, from);
          const stop = tab === -1 || tab > end ? end : tab;
          if (stop === end && field < last) throw new Error(`a row has ${field + 1} fields, fewer than ${last + 1}`);
          if (!dropped.has(field)) {
            if (kept++) out.push(TAB_BYTE);
            out.push(data.subarray(from, stop));
          }
          from = stop + 1;
        }
        // the fields after the last one left out, as they are, with the row's newline
        if (from <= end) {
          if (kept++) out.push(TAB_BYTE);
          out.push(data.subarray(from, end + 1));
        } else out.push(NEWLINE_BYTE);
        start = end + 1;
      }
      rest = data.subarray(start);
      if (out.length) yield Buffer.concat(out);
    }
    if (rest.length) throw new Error('the data ends inside a row');
  };
}
