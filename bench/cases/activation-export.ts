import { rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AudienceExport,
  audienceExportOperation,
} from "../../src/operations/audience-export-operations.js";
import { runOperation } from "../../src/operations/operation.js";
import { openStore } from "../../src/store/open-store.js";
import { report, startTimer } from "../measure.js";

/**
 * argv: database, audience id, format (default google), runs (default 2). Exports the audience as
 * `tessera audience export ID --format FORMAT` does — the `audience.export` operation on the open store: consent
 * gate, contact fields, normalisation and hashing, the file streamed and put in place, the audit log's record —
 * into a file of the temporary folder, removed after. Reports the fastest run's seconds (the first also pays for
 * loading libphonenumber's metadata and warming the engine's caches), every run's, and the rows written.
 */
const [db, audience, format = "google", runsText = "2"] = process.argv.slice(2) as [
  string,
  string,
  string?,
  string?,
];
const store = await openStore(db);
const runs: { seconds: number; cpuUserSeconds: number; cpuSystemSeconds: number }[] = [];
let answer: AudienceExport | undefined;
let bytes = 0;
for (let i = 0; i < Number(runsText); i++) {
  const out = join(
    tmpdir(),
    `tessera-bench-export-${process.pid}-${i}.${format === "meta" ? "json" : "csv"}`,
  );
  const stop = startTimer();
  answer = await runOperation(store, audienceExportOperation, {
    id: audience,
    format: format as AudienceExport["format"],
    out,
  });
  runs.push(stop());
  for (const f of answer.files) {
    bytes += statSync(f).size;
    rmSync(f, { force: true });
  }
  const r = runs.at(-1);
  console.error(
    `  export ${i + 1}: ${r?.seconds.toFixed(2)} s (cpu ${r?.cpuUserSeconds} user, ${r?.cpuSystemSeconds} system), ${answer.rows} rows`,
  );
}
await store.close();
const best = runs.reduce((a, r) => (r.seconds < a.seconds ? r : a));
report({
  ...best,
  runs: runs.map((r) => r.seconds),
  rows: answer?.rows ?? 0,
  consented: answer?.consented ?? 0,
  files: answer?.files.length ?? 0,
  notNormalised: answer?.notNormalised,
  megabytesWritten: Math.round(bytes / Number(runsText) / 1048576),
});
