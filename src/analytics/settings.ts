/** The options each value producer ran with last, so that a refresh re-runs it the same way. */
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

const SETTINGS = "value_settings";

/**
 * Remembers a producer's options (JSON; dates are not kept: a refresh supplies its own as-of). Producers: "rfm",
 * "clv" (src/analytics), "churn", "recommend" and "propensity.<target>" (src/predict).
 */
export async function saveSettings(engine: Engine, producer: string, settings: object): Promise<void> {
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

/** Every producer whose name starts with `prefix` and the options it last ran with, by name. */
export async function loadSettingsLike(
  engine: Engine,
  prefix: string,
): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  if ((await engine.tableColumns(SETTINGS)).length === 0) return out;
  // A handful of rows: read them all.
  const r = await engine.query(sql`SELECT producer, settings FROM ${sql.ident(SETTINGS)} ORDER BY producer`);
  const names = r.column("producer") as string[];
  const texts = r.column("settings") as string[];
  names.forEach((n, i) => {
    if (n.startsWith(prefix)) out.set(n, JSON.parse(texts[i] as string) as Record<string, unknown>);
  });
  return out;
}
