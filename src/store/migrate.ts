import { storageKey } from "./data-model.js";
import type { ColumnDef, ColumnType, Engine } from "./engine.js";
import type { TableDef } from "./migration-spec.js";
import { MIGRATIONS, SCHEMA_MIGRATIONS } from "./migrations.js";
import { sql } from "./sql.js";

/**
 * Every table the migrations create (schema_migrations included) with its columns once all have run (or those up
 * to version `upTo`: what a migration finds), in the order they are created. The data model (data-model.ts) describes each of them; a test checks the two agree.
 */
export function migratedTables(
  upTo = Number.POSITIVE_INFINITY,
): Map<string, (readonly [string, ColumnType])[]> {
  const out = new Map<string, (readonly [string, ColumnType])[]>([
    [SCHEMA_MIGRATIONS.name, [...SCHEMA_MIGRATIONS.columns]],
  ]);
  for (const m of MIGRATIONS) {
    if (m.version > upTo) break;
    for (const t of m.tables) out.set(t.name, [...t.columns]);
    for (const { table, column } of m.addColumns ?? []) out.get(table)?.push(column);
  }
  return out;
}

/** The newest schema version: what `migrate` brings a database to. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * The schema version of a database, without changing it (a store opened read-only can tell): 0 for a database no
 * migration has run on, null for one that holds tables but no record of migrations (not a Tessera database).
 */
export async function schemaVersion(engine: Engine): Promise<number | null> {
  const tables = await engine.tables();
  if (!tables.includes(SCHEMA_MIGRATIONS.name)) return tables.length === 0 ? 0 : null;
  const done = await engine.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations");
  return Number(done.column("v")[0]);
}

/** Brings a database to the newest schema version; each migration runs in its own transaction. */
export async function migrate(engine: Engine): Promise<number> {
  const d = engine.dialect;
  const columnsOf = (t: TableDef): ColumnDef[] => t.columns.map(([name, type]) => ({ name, type }));
  await engine.run(d.createTable(SCHEMA_MIGRATIONS.name, columnsOf(SCHEMA_MIGRATIONS), ["version"]));
  const done = await engine.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations");
  const current = Number(done.column("v")[0]);
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await engine.transaction(async () => {
      for (const t of m.tables) await engine.run(d.createTable(t.name, columnsOf(t), storageKey(t.name)));
      for (const { table, by } of m.reorder ?? []) await engine.run(d.sortTable(table, by));
      for (const { table, column } of m.addColumns ?? []) {
        await engine.run(d.addColumn(table, { name: column[0], type: column[1] }));
      }
      for (const table of m.rekey ?? []) {
        const columns = migratedTables(m.version).get(table) ?? [];
        await engine.run(
          d.rekeyTable(
            table,
            columns.map(([name, type]) => ({ name, type })),
            storageKey(table),
          ),
        );
      }
      await engine.run(
        sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${d.now()})`,
      );
    });
  }
  return MIGRATIONS.at(-1)?.version ?? 0;
}
