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
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
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

export default function setup(): () => void {
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
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
