import { describe, expect, it } from 'vitest';
import { bodyBytes } from '../../lib/http/bodies';

const MiB = 1024 * 1024;

describe('body size', () => {
  it.each([
    [10 * MiB, 'two = of padding'],
    [10 * MiB + 1, 'one = of padding'],
    [10 * MiB + 2, 'no padding'],
  ])('measures %i bytes sent as base64 (%s) as exactly that many', (size) => {
    const body = Buffer.alloc(size, 7).toString('base64');
    expect(bodyBytes({ body, isBase64Encoded: true })).toBe(size);
  });

  it('measures a text body in UTF-8 bytes, not characters', () => {
    expect(bodyBytes({ body: 'é€😀', isBase64Encoded: false })).toBe(2 + 3 + 4);
  });
});
