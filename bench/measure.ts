import { fork } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What one benchmark case reports from its own process. */
export interface CaseResult {
  readonly seconds: number;
  readonly [key: string]: unknown;
}

/**
 * One measured run: the case's own figures plus the peak resident memory of its process and the pages it touched
 * for the first time (minor page faults): on a virtual machine whose host backs guest memory lazily, those cost
 * far more than the work done in them (see `freshMemorySecondsPerGiB`).
 */
export interface Measured extends CaseResult {
  readonly peakMiB: number;
  readonly minorFaults: number;
}

/**
 * Runs a case in a fresh Node process (so its peak memory, DuckDB's included, is its own) and returns what
 * it printed. A case module reads its arguments from argv and sends one CaseResult with process.send.
 */
export function runCase(script: string, args: readonly string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let result: CaseResult | undefined;
    child.on("message", (m) => {
      result = m as CaseResult;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0 || !result) reject(new Error(`${script} ${args.join(" ")} exited with ${code}`));
      else resolve(result as Measured);
    });
  });
}

/**
 * Starts timing a case's measured part: the returned function gives the wall-clock seconds since, and the CPU
 * seconds the process spent in that time (user: the work, on every thread; system: the kernel's, page faults
 * and I/O included). CPU time varies far less than wall time on a shared virtual machine, so its ratios are
 * reported beside the wall-clock ones.
 */
export function startTimer(): () => { seconds: number; cpuUserSeconds: number; cpuSystemSeconds: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return {
      seconds: (performance.now() - t0) / 1000,
      cpuUserSeconds: Math.round(c.user / 1000) / 1000,
      cpuSystemSeconds: Math.round(c.system / 1000) / 1000,
    };
  };
}

/** Called at the end of a case: reports its figures and its process's peak memory to the parent. */
export function report(result: CaseResult): void {
  const usage = process.resourceUsage();
  process.send?.({ ...result, peakMiB: Math.round(usage.maxRSS / 1024), minorFaults: usage.minorPageFault });
}

/**
 * What this machine charges for memory a process touches for the first time, in seconds per GiB: 256 MiB freshly
 * mapped and written once, then written again (the second pass is the cost of the writes alone). On a machine
 * where this is large, a case's time follows its peak memory as much as its work: report it beside the ratios.
 */
export function freshMemorySecondsPerGiB(): number {
  const bytes = 256 * 1024 * 1024;
  const buf = Buffer.allocUnsafeSlow(bytes);
  const t0 = performance.now();
  buf.fill(1);
  const first = performance.now() - t0;
  const t1 = performance.now();
  buf.fill(2);
  const again = performance.now() - t1;
  return Math.round(((first - again) / 1000) * 4 * 1000) / 1000;
}

/**
 * A scratch folder in the temporary folder for this benchmark process (`tessera-bench-<name>-<pid>`), removed
 * when the process ends: normally, by an uncaught error, or by SIGINT/SIGTERM/SIGHUP (Ctrl-C). What a benchmark
 * keeps between runs on purpose (the generated data sets) lives in its own, stable cache folders instead.
 */
export function scratchDir(name: string): string {
  const dir = join(tmpdir(), `tessera-bench-${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const remove = () => rmSync(dir, { recursive: true, force: true });
  process.on("exit", remove);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      remove();
      // Then die of the same signal, as without the handler (the cases in their own processes get it too).
      process.kill(process.pid, signal);
    });
  }
  return dir;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Appends one JSON line per run under bench/results/. */
export function record(name: string, line: object): string {
  const dir = join(import.meta.dirname, "..", "..", "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.jsonl`);
  appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...line })}\n`);
  return file;
}

/**
 * The kernel's transparent huge page mode ("always", "madvise" or "never"; null where there is none): with
 * "always", memory is faulted in 2 MiB at a time, and on the benchmark machines the cost of fresh memory drops
 * about tenfold (4.0 to 0.4–0.6 s per GiB measured on 2026-12-04), so every case's time depends on it.
 */
export function transparentHugePages(): string | null {
  try {
    const text = readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8");
    return /\[(\w+)\]/.exec(text)?.[1] ?? null;
  } catch {
    return null;
  }
}
