import { describe, expect, it } from 'vitest';
import { isValidVersion, normalizeVersion } from '../../lib/domain/versions';

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
