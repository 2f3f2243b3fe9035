/** The options each value producer ran with last, so that a refresh re-runs it the same way. */
import type { Engine } from "../store/engine.js";

const SETTINGS = "value_settings";

/** Remembers a producer's options (JSON; dates are not kept: a refresh supplies its own as-of). */
export async function saveSettings(engine: Engine, producer: "rfm" | "clv", settings: object): Promise<void> {
  await engine.run(
    `CREATE TABLE IF NOT EXISTS ${SETTINGS} (producer VARCHAR, settings VARCHAR, updated_at TIMESTAMP)`,
  );
  await engine.run(`DELETE FROM ${SETTINGS} WHERE producer = $1`, [producer]);
  await engine.run(`INSERT INTO ${SETTINGS} VALUES ($1, $2, now())`, [producer, JSON.stringify(settings)]);
}

/** The options `producer` last ran with, or null when it never ran. */
export async function loadSettings(
  engine: Engine,
  producer: string,
): Promise<Record<string, unknown> | null> {
  if ((await engine.tableColumns(SETTINGS)).length === 0) return null;
  const r = await engine.query(`SELECT settings FROM ${SETTINGS} WHERE producer = $1`, [producer]);
  const text = r.column("settings")[0];
  return typeof text === "string" ? (JSON.parse(text) as Record<string, unknown>) : null;
}
