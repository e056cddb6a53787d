import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The migrations of this version: `migrations/` beside lib/ (and beside dist/server/, two folders down as well). */
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');
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
