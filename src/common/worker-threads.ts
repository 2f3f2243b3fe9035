import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UserError } from "../errors.js";

/**
 * Worker threads, shared by the modules that use them (k-means, phone normalisation in exports): the script a
 * worker runs, and the `TESSERA_THREADS` setting.
 */

/**
 * A worker's script: the compiled one (`compiled`), or, running from the TypeScript sources (the tests), a
 * bootstrap that registers tsx in the worker and imports `source` (`--import tsx` in a worker's execArgv does not
 * reach its entry module on Node 20). Null when neither is available.
 */
export function workerScript(compiled: URL, source: URL): URL | null {
  if (existsSync(fileURLToPath(compiled))) return compiled;
  if (!source.href.endsWith(".ts") || !existsSync(fileURLToPath(source))) return null;
  try {
    const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
    const exports = JSON.parse(readFileSync(pkg, "utf8")).exports["./esm/api"].import.default as string;
    const api = pathToFileURL(join(dirname(pkg), exports)).href;
    const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(source.href)});`;
    return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
  } catch {
    return null;
  }
}

/** The most threads `TESSERA_THREADS` may ask for: more is surely a typo, and each one is a worker to start. */
export const MAX_THREADS = 1024;

/**
 * `TESSERA_THREADS`: a whole number of threads from 1 to `MAX_THREADS`, or undefined when unset (set but empty is
 * unset). Anything else is a user error naming the variable, whatever the size of the base (a typo must not be
 * ignored because this base happened to be small).
 */
export function threadsSetting(): number | undefined {
  const raw = process.env.TESSERA_THREADS;
  const text = raw?.trim();
  if (text === undefined || text === "") return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_THREADS))
    throw new UserError(
      "bad-threads",
      `expected a whole number of threads from 1 to ${MAX_THREADS} (the main one included), got "${raw}"`,
      "TESSERA_THREADS",
    );
  return n;
}
