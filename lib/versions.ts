import { SemVer } from 'semver';

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
