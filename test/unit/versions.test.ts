import { describe, expect, it } from 'vitest';
import { isValidVersion, normalizeVersion, parseRange } from '../../lib/domain/versions';

describe('normalizeVersion', () => {
  it.each([
    ['1.4.0', '1.4.0'],
    ['v1.4.0', '1.4.0'],
    ['0.0.0', '0.0.0'],
    ['2.0.0-rc.1+build.7', '2.0.0-rc.1+build.7'],
    ['1.0.0-alpha.beta', '1.0.0-alpha.beta'],
    ['1.0.0+20130313144700', '1.0.0+20130313144700'],
    ['1.0.0-0.3.7', '1.0.0-0.3.7'],
    ['1.0.0-x-y-z.--', '1.0.0-x-y-z.--'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normalizeVersion(input)).toBe(expected);
    expect(isValidVersion(input)).toBe(true);
  });

  it.each([
    [''],
    ['1'],
    ['1.0'],
    ['1.0.0.0'],
    ['01.0.0'],
    ['1.01.0'],
    ['1.0.0-01'],
    ['1.0.0-'],
    ['1.0.0+'],
    ['1.0.0-a..b'],
    ['v'],
    ['vv1.0.0'],
    ['V1.0.0'],
    ['=1.0.0'],
    [' 1.0.0'],
    ['1.0.0 '],
    ['1.0.0\n'],
    ['latest'],
    ['^1.0.0'],
    ['1.x'],
    ['99999999999999999999.0.0'],
    ['1.0.0-é'],
    [`1.0.0-${'a'.repeat(300)}`],
  ])('rejects %j', (input) => {
    expect(normalizeVersion(input)).toBeNull();
    expect(isValidVersion(input)).toBe(false);
  });
});

describe('parseRange', () => {
  const at = (operator: string, version: string, prereleaseCore: string | null = null) => ({
    operator,
    version,
    prereleaseCore,
  });

  it.each([
    ['>=1.2.0 <2.0.0', [[at('>=', '1.2.0'), at('<', '2.0.0')]]],
    ['1.2.3 - 2.3.4', [[at('>=', '1.2.3'), at('<=', '2.3.4')]]],
    // a caret, tilde or x-range ends before the pre-releases of the next version (`-0`), which admit no others
    ['^1.4', [[at('>=', '1.4.0'), at('<', '2.0.0-0', '2.0.0')]]],
    ['~1.2.3', [[at('>=', '1.2.3'), at('<', '1.3.0-0', '1.3.0')]]],
    [
      '1.x || 2.x',
      [
        [at('>=', '1.0.0'), at('<', '2.0.0-0', '2.0.0')],
        [at('>=', '2.0.0'), at('<', '3.0.0-0', '3.0.0')],
      ],
    ],
    ['>=1.0.0-rc.1', [[at('>=', '1.0.0-rc.1', '1.0.0')]]],
    ['=1.0.0', [[at('', '1.0.0')]]],
    ['*', [[]]],
    ['', [[]]],
  ])('reads %j as its comparator sets', (range, sets) => {
    expect(parseRange(range)).toEqual(sets);
  });

  it.each(['garbage', '>=1.2.3beta', '1.2.3 ||| 2', '>=x.y.z'])('refuses %j, which is no npm range', (range) => {
    expect(parseRange(range)).toBeNull();
  });
});
