import { Range, SemVer, Comparator as SemverComparator } from 'semver';

const Comparator_ANY = (SemverComparator as unknown as { ANY: unknown }).ANY;

/**
 * The canonical form of a release version: a SemVer 2.0.0 string with an optional leading `v` removed, or
 * `null` when `input` is not one. Build metadata is kept (`1.0.0+build.7` stays as written).
 */
export function normalizeVersion(input: string): string | null {
  const candidate = input.startsWith('v') ? input.slice(1) : input;
  // semver trims whitespace and accepts "=1.0.0" and "v" itself; we accept exactly `v?<semver>`
  if (candidate !== candidate.trim() || candidate.startsWith('=') || candidate.startsWith('v')) return null;
  try {
    const parsed = new SemVer(candidate, { loose: false });
    return parsed.raw === candidate ? candidate : null;
  } catch {
    return null;
  }
}

/** True when `input` is a SemVer 2.0.0 version, with or without a leading `v`. */
export function isValidVersion(input: string): boolean {
  return normalizeVersion(input) !== null;
}

/** One comparator of an npm range: `operator` is '', '<', '<=', '>', '>=' or '=', `version` a SemVer. */
export interface Comparator {
  operator: '' | '=' | '<' | '<=' | '>' | '>=';
  version: string;
  /** major.minor.patch of `version`, when it is a pre-release (npm lets such a comparator admit pre-releases) */
  prereleaseCore: string | null;
}

/**
 * An npm range (`>=1.2.0 <2.0.0`, `^1.4`, `1.x || 2.x`) as its comparator sets, any of which must match in full,
 * or null when `range` is not a valid range. The semver library does the parsing (x-ranges, tildes, carets,
 * hyphen ranges); a comparator that matches any version comes back as an empty set.
 */
export function parseRange(range: string): Comparator[][] | null {
  let parsed: Range;
  try {
    parsed = new Range(range, { loose: false, includePrerelease: false });
  } catch {
    return null;
  }
  return parsed.set.map((comparators) =>
    comparators
      .filter((comparator) => comparator.semver !== Comparator_ANY)
      .map((comparator) => ({
        operator: comparator.operator as Comparator['operator'],
        version: comparator.semver.version,
        prereleaseCore: comparator.semver.prerelease.length
          ? `${comparator.semver.major}.${comparator.semver.minor}.${comparator.semver.patch}`
          : null,
      })),
  );
}
