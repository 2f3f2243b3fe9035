import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { isUserError, UserError } from "../errors.js";
import { ChdbConnection } from "./clickhouse/chdb-connection.js";
import { ClickHouseStore } from "./clickhouse/clickhouse-store.js";
import { parseServerUrl, ServerConnection } from "./clickhouse/server-connection.js";
import { DuckDBStore } from "./duckdb/duckdb-store.js";
import { FOR_READING, type OpenOptions, type Store } from "./store.js";

/**
 * The engines Tessera runs on, by the scheme of a database location (`--db`, `$TESSERA_DB`):
 * - `duckdb:PATH`, or a plain path: DuckDB, embedded, one file (the default);
 * - `chdb:DIR`: ClickHouse embedded in this process (the optional `chdb` package), one directory;
 * - `clickhouse://USER:PASSWORD@HOST:PORT/DATABASE` (`clickhouses://` for HTTPS): a ClickHouse server or
 *   cluster (the optional `@clickhouse/client` package).
 * An engine's packages load only when a store of it is opened.
 */
export interface EngineKind {
  readonly scheme: string;
  readonly summary: string;
  /** Opens the database as `options` say (created when missing, or required to exist; read-only where it can). */
  open(location: string, options: OpenOptions): Promise<Store>;
  /** Whether something is at the location that a new database would replace (a command asks before it does). */
  exists(location: string): Promise<boolean>;
  /** Removes the database at the location, where the engine can (a file); absent where it cannot. */
  remove?(location: string): void;
}

const duckdbPath = (location: string) => location.replace(/^duckdb:/, "");
const chdbDir = (location: string) => location.replace(/^chdb:/, "");

export const ENGINES: readonly EngineKind[] = [
  {
    scheme: "duckdb",
    summary: "duckdb:PATH (or a plain path): DuckDB, embedded, one file",
    open: (location, options) => DuckDBStore.open(duckdbPath(location), options),
    exists: async (location) => {
      const path = duckdbPath(location);
      return path !== ":memory:" && (existsSync(path) || existsSync(`${path}.wal`));
    },
    remove: (location) => {
      for (const f of [duckdbPath(location), `${duckdbPath(location)}.wal`]) rmSync(f, { force: true });
    },
  },
  {
    scheme: "chdb",
    summary: "chdb:DIR: ClickHouse in this process (npm install chdb), one directory",
    open: async (location, options) => {
      const dir = chdbDir(location);
      if (dir === "")
        throw new UserError("bad-db-url", `"${location}": chdb: needs a directory (chdb:./data)`, "--db");
      return new ClickHouseStore(location, await ChdbConnection.open(dir, options), true);
    },
    // An empty folder holds no database yet.
    exists: async (location) => {
      const dir = chdbDir(location);
      return existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0);
    },
  },
  {
    scheme: "clickhouse",
    summary:
      "clickhouse://USER:PASSWORD@HOST:PORT/DATABASE: a ClickHouse server (npm install @clickhouse/client)",
    open: async (location, options) =>
      new ClickHouseStore(location, await ServerConnection.open(parseServerUrl(location), options), false),
    exists: async (location) => {
      try {
        const store = new ClickHouseStore(
          location,
          await ServerConnection.open(parseServerUrl(location), FOR_READING),
          false,
        );
        await store.close();
        return true;
      } catch (e) {
        if (isUserError(e) && e.code === "no-database") return false;
        throw e;
      }
    },
  },
];

/** The engine a location names. A plain path (no scheme, or a one-letter drive) is a DuckDB file. */
export function engineOf(location: string): EngineKind {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(location);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme === undefined || scheme.length === 1) return ENGINES[0] as EngineKind;
  const wanted = scheme === "clickhouses" ? "clickhouse" : scheme;
  const engine = ENGINES.find((e) => e.scheme === wanted);
  if (engine !== undefined) return engine;
  throw new UserError(
    "unknown-engine",
    `"${location}": no engine is called "${scheme}"; a database is one of: ${ENGINES.map((e) => e.summary).join("; ")}`,
    "--db",
  );
}
