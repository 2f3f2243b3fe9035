import { STATS_TABLES, type StatsKey } from "./data-model.js";
import type { Engine } from "./engine.js";

/**
 * Row counts of the main tables: the `tessera stats --json` contract, {customers, identities, events, orders,
 * orderItems, consents, surveyResponses} in that order. Which tables, under which keys, data-model.ts says.
 */
export type StoreStats = { [K in StatsKey]: number };

/** Counts every table the data model gives a stats key, in one query; keys in the model's order. */
export async function storeStats(engine: Engine): Promise<StoreStats> {
  const q = engine.dialect.quoteIdent;
  const r = await engine.query(
    `SELECT ${STATS_TABLES.map(({ table, key }) => `(SELECT count(*) FROM ${q(table)}) AS ${q(key)}`).join(", ")}`,
  );
  const out = {} as StoreStats;
  for (const { key } of STATS_TABLES) out[key] = Number(r.column(key)[0]);
  return out;
}
