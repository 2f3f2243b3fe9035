import { importFile } from "../../src/ingest/import.js";
import type { ImportKind } from "../../src/ingest/import-types.js";
import { openSession } from "../../src/store/open-store.js";
import { sql } from "../../src/store/sql.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database location (any engine), the JSON list of files to import in order ({kind, path}). Times the
 * imports, then reports the counts and the last event's time. The data set is the starting point of the refresh
 * cases: nothing is left dirty.
 */
const [db, filesJson] = process.argv.slice(2) as [string, string];
const files = JSON.parse(filesJson) as { kind: ImportKind; path: string }[];
const engine = await openSession(db);
const stop = startTimer();
for (const f of files) {
  const s = await importFile(engine, { kind: f.kind, path: f.path });
  // What `tessera import` does after each import (a write operation): ClickHouse compacts what it rewrote.
  const compacted = await engine.compact();
  if (compacted.length) console.error(`    compacted ${compacted.join(", ")}`);
  console.error(`    ${f.kind} ${f.path.split("/").pop()}: ${s.accepted} rows in ${s.seconds.toFixed(1)} s`);
}
const timed = stop();
await engine.run(engine.dialect.deleteWhere("segment_dirty", sql`true`));
const counts: Record<string, number> = {};
for (const t of ["customers", "events", "orders", "order_items", "consents"]) {
  counts[t] = Number((await engine.query(sql`SELECT count(*) AS n FROM ${sql.ident(t)}`)).column("n")[0]);
}
const last = (await engine.query("SELECT max(ts) AS t FROM events")).column("t")[0] as Date;
engine.close();
report({ ...timed, counts, lastEvent: last.toISOString() });
