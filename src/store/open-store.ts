import { existsSync } from "node:fs";
import { DuckDBEngine } from "./duckdb/duckdb-engine.js";
import type { Engine } from "./engine.js";
import { migrate } from "./migrations.js";

/** The database used when neither `--db` nor `$TESSERA_DB` names one. */
export const DEFAULT_DB = "./tessera.duckdb";

export function resolveDbPath(flag?: string): string {
  return flag ?? process.env.TESSERA_DB ?? DEFAULT_DB;
}

/** Opens (creating if needed) a Tessera database and brings its schema up to date. */
export async function openStore(path: string): Promise<Engine> {
  const engine = await DuckDBEngine.open(path);
  try {
    await migrate(engine);
  } catch (e) {
    engine.close();
    throw e;
  }
  return engine;
}

export function storeExists(path: string): boolean {
  return path === ":memory:" || existsSync(path);
}
