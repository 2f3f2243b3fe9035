import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import pg from "pg";
import { report } from "../measure.js";
import { SEGMENTS } from "../segments/definitions.js";
import { initCluster, type PgServer, pgServer, startServer, stopServer } from "../segments/postgres.js";
import { countQuery } from "../segments/queries.js";

/**
 * argv: DuckDB database, as-of (ISO), PostgreSQL folder, CSV folder, "reload" | "reuse". The baseline on
 * PostgreSQL 15: the same tables, exported from the DuckDB file as CSV, loaded with COPY, indexed on customer_id
 * and ts, analysed; then the same hand-written queries as on DuckDB, one after another. A loaded cluster is kept
 * in its folder and reused ("reuse") unless "reload"; the server is stopped at the end, even on failure.
 */
const [db, asOfText, pgRoot, csvDir, mode] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const asOf = new Date(asOfText);
const TABLES = ["customers", "events", "orders", "order_items", "consents", "customer_rfm"] as const;
const PG_TYPES: Record<string, string> = {
  VARCHAR: "text",
  BIGINT: "bigint",
  INTEGER: "integer",
  DOUBLE: "double precision",
  BOOLEAN: "boolean",
  DATE: "date",
  TIMESTAMP: "timestamp",
  JSON: "jsonb",
};
const INDEXES = [
  "CREATE UNIQUE INDEX ON customers (customer_id)",
  "CREATE INDEX ON events (customer_id)",
  "CREATE INDEX ON events (ts)",
  "CREATE INDEX ON orders (customer_id)",
  "CREATE INDEX ON orders (ts)",
  "CREATE INDEX ON order_items (customer_id)",
  "CREATE INDEX ON order_items (ts)",
  "CREATE INDEX ON consents (customer_id)",
  "CREATE UNIQUE INDEX ON customer_rfm (customer_id)",
];
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
type Schema = Record<string, [string, string][]>;

/** Exports the tables as CSV (kept in csvDir for later runs) and returns their columns with PostgreSQL types. */
async function exportCsv(): Promise<{ schema: Schema; seconds: number; cached: boolean }> {
  const schemaFile = join(csvDir, "schema.json");
  if (existsSync(schemaFile) && TABLES.every((t) => existsSync(join(csvDir, `${t}.csv`))))
    return { schema: JSON.parse(readFileSync(schemaFile, "utf8")), seconds: 0, cached: true };
  rmSync(csvDir, { recursive: true, force: true });
  mkdirSync(csvDir, { recursive: true });
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(db);
  const conn = await instance.connect();
  const schema: Schema = {};
  try {
    for (const t of TABLES) {
      const cols = await conn.runAndReadAll(
        `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ${lit(t)} ORDER BY ordinal_position`,
      );
      schema[t] = cols.getRows().map(([name, type]) => {
        const pgType = PG_TYPES[String(type)];
        if (!pgType) throw new Error(`no PostgreSQL type for ${t}.${name} ${type}`);
        return [String(name), pgType];
      });
      await conn.run(`COPY ${t} TO ${lit(join(csvDir, `${t}.csv`))} (FORMAT csv, HEADER true)`);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  writeFileSync(schemaFile, JSON.stringify(schema));
  return { schema, seconds: (performance.now() - t0) / 1000, cached: false };
}

/** A client of the benchmark's server, connected over its Unix socket. */
async function connect(server: PgServer): Promise<pg.Client> {
  const client = new pg.Client({
    host: server.socketDir,
    port: server.port,
    user: "postgres",
    database: "postgres",
  });
  await client.connect();
  return client;
}

const server = pgServer(pgRoot);
const loadedFile = join(pgRoot, "loaded.json");
const stop = () => stopServer(server);
process.on("SIGINT", () => {
  stop();
  process.exit(130);
});
process.on("SIGTERM", () => {
  stop();
  process.exit(143);
});

try {
  let load: { loadSeconds: number; indexSeconds: number; rows: Record<string, number> };
  let exported: { seconds: number; cached: boolean } = { seconds: 0, cached: true };
  const reuse = mode === "reuse" && existsSync(loadedFile);
  if (reuse) {
    load = JSON.parse(readFileSync(loadedFile, "utf8"));
    startServer(server);
  } else {
    rmSync(loadedFile, { force: true });
    const { schema, ...how } = await exportCsv();
    exported = how;
    initCluster(server);
    startServer(server);
    const client = await connect(server);
    const rows: Record<string, number> = {};
    const t0 = performance.now();
    for (const t of TABLES) {
      const cols = (schema[t] ?? []).map(([n, type]) => `"${n}" ${type}`).join(", ");
      const s0 = performance.now();
      // Created and filled in one transaction: with wal_level = minimal the COPY writes no WAL.
      await client.query("BEGIN");
      await client.query(`CREATE TABLE ${t} (${cols})`);
      const r = await client.query(
        `COPY ${t} FROM ${lit(join(csvDir, `${t}.csv`))} (FORMAT csv, HEADER true)`,
      );
      await client.query("COMMIT");
      rows[t] = r.rowCount ?? 0;
      console.error(
        `  postgres: loaded ${t} (${rows[t]} rows) in ${((performance.now() - s0) / 1000).toFixed(0)} s`,
      );
    }
    const loadSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    for (const ix of INDEXES) await client.query(ix);
    await client.query("VACUUM ANALYZE");
    const indexSeconds = (performance.now() - t1) / 1000;
    console.error(`  postgres: indexes and VACUUM ANALYZE in ${indexSeconds.toFixed(0)} s`);
    await client.end();
    load = { loadSeconds, indexSeconds, rows };
    writeFileSync(loadedFile, JSON.stringify(load));
    // The cluster holds the data now; the export (about 10 GB at 1M customers) is quick to make again.
    rmSync(csvDir, { recursive: true, force: true });
  }
  const client = await connect(server);
  await client.query("SET statement_timeout = '30min'");
  const sizes: Record<string, number> = {};
  const perQuery: Record<string, number> = {};
  const t0 = performance.now();
  for (const { id } of SEGMENTS) {
    const q0 = performance.now();
    const r = await client.query(countQuery(id, asOf));
    perQuery[id] = Math.round(performance.now() - q0) / 1000;
    sizes[id] = Number(r.rows[0]?.n);
    console.error(`  postgres: ${id} ${perQuery[id]} s`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const version = (await client.query("SHOW server_version")).rows[0]?.server_version as string;
  await client.end();
  report({
    seconds,
    sizes,
    perQuery,
    version,
    csvExportSeconds: exported.seconds,
    csvCached: exported.cached,
    loadCached: reuse,
    ...load,
  });
} finally {
  stop();
}
