/** Writes the install directory's package.json and lockfile for `tarball`, from `lockfile`; copies the tarball in. */
export function writeReleaseLock(tarball: string, lockfile: string, dir: string): void;
