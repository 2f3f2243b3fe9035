/**
 * The README's "Choosing an engine" commands, run as written (paths made to point at the shared data and at
 * fresh folders), on chdb and — the same commands with a DuckDB file instead — on DuckDB: both succeed and say
 * the same things (the CDNOW fit matches the README's published figures, the clusters the same sizes).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../src/cli/io.js";
import { main } from "../src/cli/main.js";
import { SHARED_DATA, tempDir } from "./helpers.js";
import { readmeSteps } from "./readme-steps.js";

/** The README's commands on a ClickHouse engine (its engine section), as test/readme-steps.ts reads them. */
function readmeCommands(): string[][] {
  const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
  return readmeSteps(readme).flatMap((s) =>
    s.kind === "skip" && s.args?.some((a) => a.startsWith("chdb:")) ? [s.args] : [],
  );
}

async function run(args: string[]): Promise<Record<string, unknown>> {
  const io = memoryIo();
  const code = await main([...args, "--json"], io);
  expect(code, `${args.join(" ")}: ${io.stderr()}`).toBe(0);
  return JSON.parse(io.stdout());
}

/** Runs the README's commands with its databases renamed by `db` (e.g. chdb:./data → chdb:<tmp>/data). */
async function runReadme(db: (name: string) => string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const args of readmeCommands()) {
    const mapped = args.map((a) =>
      a.replace("../shared/data", SHARED_DATA).replace(/^chdb:\.\/(\w+)$/, (_m, n) => db(n)),
    );
    out.push(await run(mapped));
  }
  return out;
}

describe("the README's engine section", () => {
  it("runs as written on chdb, with the same results as on DuckDB", async () => {
    expect(readmeCommands().map((c) => c.slice(0, 2).join(" "))).toEqual([
      "import orders",
      "segment add",
      "segment refresh",
      "clv fit",
      "import customers",
      "cluster --features",
    ]);
    const dir = tempDir();
    const onChdb = await runReadme((name) => `chdb:${join(dir, `chdb-${name}`)}`);
    const onDuckdb = await runReadme((name) => join(dir, `${name}.duckdb`));
    type Doc = {
      accepted: number;
      segments: { size: number }[];
      bgnbd: Record<string, number>;
      clusters: { size: number }[];
    };
    const [imported, , refreshed, fit, , clusters] = onChdb as unknown as Doc[];
    expect(imported?.accepted).toBe(6919); // CDNOW sample: 6,919 purchase records
    // The README's published fit (BG/NBD r, alpha, a, b on the CDNOW sample).
    expect(fit?.bgnbd.r).toBeCloseTo(0.2426, 3);
    expect(fit?.bgnbd.alpha).toBeCloseTo(4.4136, 3);
    expect(fit?.bgnbd.a).toBeCloseTo(0.7929, 3);
    expect(fit?.bgnbd.b).toBeCloseTo(2.4259, 3);
    // Repeat buyers, counted from the raw file here: customers (second field) with two or more purchase records.
    const records = new Map<string, number>();
    for (const line of readFileSync(join(SHARED_DATA, "cdnow", "CDNOW_sample.txt"), "utf8").split("\n")) {
      const id = line.trim().split(/\s+/)[1];
      if (id) records.set(id, (records.get(id) ?? 0) + 1);
    }
    expect(refreshed?.segments[0]?.size).toBe([...records.values()].filter((n) => n >= 2).length);
    expect((clusters?.clusters ?? []).map((c) => c.size).sort((a, b) => a - b)).toEqual([22, 23, 35, 39, 81]);
    // Every command says the same on both engines, but for timings, the clock (a clustering's as-of defaults to
    // now) and the last bits of sums (added in another order: 10 significant digits compared).
    const strip = (x: unknown) =>
      JSON.parse(
        JSON.stringify(x, (k, v) =>
          /seconds|Seconds|phases|_at$|At$|^asOf$/.test(k)
            ? undefined
            : k === "note" && typeof v === "string"
              ? // "as of now (<the time it ran>)": the clock, not the engine.
                v.replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, "<time>")
              : typeof v === "number" && !Number.isInteger(v)
                ? Number(v.toPrecision(10))
                : v,
        ),
      );
    expect(strip(onChdb)).toEqual(strip(onDuckdb));
  }, 300_000);
});
