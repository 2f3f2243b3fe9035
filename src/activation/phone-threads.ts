import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { threadsSetting, workerScript } from "../common/worker-threads.js";
import { normalisePhone } from "./contact-normalisation.js";

/**
 * Phone numbers normalised off the main thread. libphonenumber takes ~8 µs a number — about half of a large
 * export's work — so an export hands each chunk's numbers to worker threads and, while they parse, formats and
 * writes the chunk before (audience-export.ts). The rule is `normalisePhone`'s, in every thread.
 */
export interface PhoneNormaliser {
  /** Worker threads doing the work (0: the calling thread). */
  readonly threads: number;
  /** The E.164 form of each number (null: cannot be normalised), reading one without a country code in its country. */
  normalise(
    phones: readonly (string | null)[],
    countries: readonly (string | null)[],
  ): Promise<(string | null)[]>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** Below this many numbers a thread costs more to start (~50 ms with its modules) than it saves. */
export const THREADED_MIN_PHONES = 20_000;
/** At most this many worker threads: past them, the engine's reads and the main thread's share set the pace. */
const MAX_WORKERS = 4;

const COMPILED = new URL("./phone-worker.js", import.meta.url);
const SOURCE = new URL("./phone-worker.ts", import.meta.url);

/** Normalises on the calling thread. */
export function phonesInProcess(): PhoneNormaliser {
  return {
    threads: 0,
    normalise: async (phones, countries) => phones.map((p, i) => normalisePhone(p, countries[i])),
    close: async () => {},
  };
}

/**
 * How many worker threads an export of `phones` numbers uses: none for a few; else one per core but the main
 * thread's (which formats, hashes and writes meanwhile: about half the phones' work), at least one, at most four;
 * `TESSERA_THREADS` counts the main thread too (1: none). None when running from the TypeScript sources (the tests
 * ask `phonesThreaded` for threads themselves).
 */
export function phoneWorkers(phones: number): number {
  const threads = threadsSetting();
  if (phones < THREADED_MIN_PHONES || !existsSync(fileURLToPath(COMPILED))) return 0;
  if (threads !== undefined) return Math.min(MAX_WORKERS, threads - 1);
  return Math.min(MAX_WORKERS, Math.max(1, availableParallelism() - 1));
}

/** Normalises in `workers` worker threads (each call's numbers split between them); in process when none start. */
export function phonesThreaded(workers: number): PhoneNormaliser {
  const script = workers > 0 ? workerScript(COMPILED, SOURCE) : null;
  if (!script) return phonesInProcess();
  const pending = new Map<number, { resolve(out: (string | null)[]): void; reject(e: unknown): void }>();
  let next = 0;
  const fail = (e: unknown) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const threads = Array.from({ length: workers }, () => {
    const w = new Worker(script);
    w.on("message", (m: { id: number; out: (string | null)[] }) => {
      pending.get(m.id)?.resolve(m.out);
      pending.delete(m.id);
    });
    w.on("error", fail);
    w.on("exit", (code) => {
      if (pending.size) fail(new Error(`a phone-normalising thread ended (exit code ${code})`));
    });
    return w;
  });
  const ask = (w: Worker, phones: readonly (string | null)[], countries: readonly (string | null)[]) =>
    new Promise<(string | null)[]>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      w.postMessage({ id, phones, countries });
    });
  return {
    threads: threads.length,
    async normalise(phones, countries) {
      const size = Math.ceil(phones.length / threads.length);
      const parts = await Promise.all(
        threads.map((w, t) =>
          ask(w, phones.slice(t * size, (t + 1) * size), countries.slice(t * size, (t + 1) * size)),
        ),
      );
      return parts.flat();
    },
    async close() {
      fail(new Error("the phone-normalising threads were closed"));
      await Promise.all(threads.map((w) => w.terminate()));
    },
  };
}
