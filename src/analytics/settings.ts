/** The options each value producer ran with last, so that a refresh re-runs it the same way. */
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

const SETTINGS = "value_settings";

/** Remembers a producer's options (JSON; dates are not kept: a refresh supplies its own as-of). */
export async function saveSettings(engine: Engine, producer: "rfm" | "clv", settings: object): Promise<void> {
  const d = engine.dialect;
  await engine.run(
    d.createTable(
      SETTINGS,
      [
        { name: "producer", type: "string" },
        { name: "settings", type: "string" },
        { name: "updated_at", type: "timestamp" },
      ],
      ["producer"],
    ),
  );
  await engine.run(d.deleteWhere(SETTINGS, sql`producer = ${producer}`));
  await engine.run(
    sql`INSERT INTO ${sql.ident(SETTINGS)} (producer, settings, updated_at)
        VALUES (${producer}, ${JSON.stringify(settings)}, ${d.now()})`,
  );
}

/** The options `producer` last ran with, or null when it never ran. */
export async function loadSettings(
  engine: Engine,
  producer: string,
): Promise<Record<string, unknown> | null> {
  if ((await engine.tableColumns(SETTINGS)).length === 0) return null;
  const r = await engine.query(sql`SELECT settings FROM ${sql.ident(SETTINGS)} WHERE producer = ${producer}`);
  const text = r.column("settings")[0];
  return typeof text === "string" ? (JSON.parse(text) as Record<string, unknown>) : null;
}
