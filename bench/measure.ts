import { fork } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

/** What one benchmark case reports from its own process. */
export interface CaseResult {
  readonly seconds: number;
  readonly [key: string]: unknown;
}

/** One measured run: the case's own figures plus the peak resident memory of its process. */
export interface Measured extends CaseResult {
  readonly peakMiB: number;
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

/** Called at the end of a case: reports its figures and its process's peak memory to the parent. */
export function report(result: CaseResult): void {
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.send?.({ ...result, peakMiB: Math.round(peakMiB) });
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
