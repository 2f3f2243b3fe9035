/**
 * What the stored customer values are, for the reads that report them as they are (stored-rfm.ts,
 * clv-distribution.ts, clv-cohorts.ts) rather than computing them afresh.
 */
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * When the stored value `name` was last written (its registry entry's `updated_at`: producers register their
 * values at every run), or null when it was never stored or its table is gone.
 */
export async function storedValueTime(engine: Engine, name: string, table: string): Promise<Date | null> {
  if ((await engine.tableColumns(table)).length === 0) return null;
  const r = await engine.query(sql`SELECT updated_at FROM computed_registry WHERE name = ${name}`);
  const at = r.column("updated_at")[0];
  return at instanceof Date ? at : at === undefined || at === null ? null : new Date(String(at));
}
