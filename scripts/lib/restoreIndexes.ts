import type pg from 'pg';
import { BackupError, quoteIdent } from './backup';

/**
 * The indexes restore drops before it loads the tables and builds again after, as pg_restore does: one sort per
 * index instead of a million random inserts into each. Constraints keep theirs (a primary key or unique constraint is
 * one index of the table's several; the foreign keys rest on them), and so does any index a foreign key rests on.
 * Foreign keys and triggers cost nothing during the load: it runs with `session_replication_role = replica`.
 */
interface Index {
  name: string;
  definition: string;
}

async function plainIndexes(client: pg.Client, tables: string[]): Promise<Index[]> {
  const { rows } = await client.query<Index>(
    `SELECT ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_class tc ON tc.oid = i.indrelid
     JOIN pg_namespace n ON n.oid = tc.relnamespace
     WHERE n.nspname = 'public' AND tc.relname = ANY ($1::text[])
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
     ORDER BY ic.relname`,
    [tables],
  );
  return rows;
}

/**
 * Drops every index of `tables` that no constraint owns or rests on, inside the caller's transaction, and returns
 * what builds them again: each as it was defined, then a check that the tables hold exactly the indexes they held.
 */
export async function dropIndexes(client: pg.Client, tables: string[]): Promise<() => Promise<void>> {
  const before = await plainIndexes(client, tables);
  for (const index of before) await client.query(`DROP INDEX ${quoteIdent(index.name)}`);
  return async () => {
    for (const index of before) await client.query(index.definition);
    const after = await plainIndexes(client, tables);
    const same =
      after.length === before.length &&
      after.every((index, at) => index.name === before[at]?.name && index.definition === before[at]?.definition);
    if (!same) {
      throw new BackupError(
        `The indexes built again after loading differ from the schema's (${before.map((index) => index.name).join(', ')}); nothing was restored.`,
      );
    }
  };
}
