import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/**
 * The migrations of this version: in a bundle (dist/server/*.mjs, the packed release), the copy the build put beside
 * it; run from source (lib/infra), the checkout's `migrations/`.
 */
export const MIGRATIONS_DIR = fs.existsSync(path.join(HERE, 'migrations'))
  ? path.join(HERE, 'migrations')
  : path.join(HERE, '..', '..', 'migrations');
/** dotfiles and the folder's README are not migrations */
export const NOT_A_MIGRATION = /^(?:\..*|README\.md)$/;

/** Every migration file by name (node-pg-migrate's name: the file name without `.sql`) and SHA-256, in order. */
export function migrationFiles(dir: string = MIGRATIONS_DIR): Map<string, string> {
  const files = fs
    .readdirSync(dir)
    .filter((file) => !NOT_A_MIGRATION.test(file))
    .sort();
  return new Map(
    files.map((file) => [
      file.replace(/\.sql$/, ''),
      createHash('sha256')
        .update(fs.readFileSync(path.join(dir, file)))
        .digest('hex'),
    ]),
  );
}
