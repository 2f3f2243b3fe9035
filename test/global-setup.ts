/**
 * Vitest global set-up: every test run gets its own scratch root in the system's temporary folder, and the
 * run's `TMPDIR` points into it, so whatever a test writes there (through `tempDir()`, `os.tmpdir()`, or a
 * `tessera` process it spawns, which inherits the environment) is removed when the run ends, whether tests
 * passed or failed. `tempDir()` (test/helpers.ts) also removes its folders when their test file ends, so a
 * long run does not pile up gigabytes until the end.
 *
 * A root is named after the process that owns it (`tessera-run-<pid>-…`): a run that was killed before its
 * teardown leaves its root behind, and the next run removes it once that process is gone.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "tessera-run-";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Roots of runs whose process has ended (killed before their teardown). */
function removeAbandonedRoots(base: string): void {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^tessera-run-(\d+)-/.exec(name);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) {
      rmSync(join(base, name), { recursive: true, force: true });
    }
  }
}

/**
 * A migrated, empty database per engine, made once per run: `location()` (test/engines.ts) hands each test a copy,
 * which opens without running the migrations again (~0.6 s a database on chdb, ~0.2 s on DuckDB, hundreds of
 * times a run). Made by the code under test, so always at the latest schema.
 */
async function makeTemplates(root: string): Promise<void> {
  const { openStore } = await import("../src/store/open-store.js");
  const duckdb = join(root, "template.duckdb");
  await (await openStore(duckdb)).close();
  const chdb = join(root, "template-chdb");
  mkdirSync(chdb);
  await (await openStore(`chdb:${chdb}`)).close();
  process.env.TESSERA_TEST_TEMPLATE_DUCKDB = duckdb;
  process.env.TESSERA_TEST_TEMPLATE_CHDB = chdb;
}

export default async function setup(): Promise<() => void> {
  const base = tmpdir();
  removeAbandonedRoots(base);
  const root = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
  // os.tmpdir() reads TMPDIR (TMP/TEMP on Windows) on every call; the test workers are started after this and
  // inherit it, and so do the processes they spawn.
  process.env.TMPDIR = root;
  process.env.TMP = root;
  process.env.TEMP = root;
  process.env.TESSERA_TEST_TMP = root;
  await makeTemplates(root);
  return () => {
    delete process.env.TESSERA_TEST_TEMPLATE_DUCKDB;
    delete process.env.TESSERA_TEST_TEMPLATE_CHDB;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
