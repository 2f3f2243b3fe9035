/**
 * Sessions for concurrent callers (issue 13): one open store serves many operations at once in one process.
 * Mixed operations — imports of different files and of a batch, a segment refresh, RFM, previews, overlap, MECE,
 * explain, KPIs and Pareto — run all at once on one store; each result must equal the same operation's result in
 * a sequential run on a copy of the same database, and the two databases must end up the same.
 */
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  importBatchOperation,
  importOperation,
  kpisOperation,
  paretoOperation,
  rfmOperation,
  runOperation,
  segmentAddOperation,
  segmentExplainOperation,
  segmentMeceOperation,
  segmentOverlapOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
} from "../src/operations/index.js";
import type { Engine } from "../src/store/engine.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { generate } from "../src/synth/generate.js";
import { tempDir } from "./helpers.js";

const END = "2026-06-30";
const AS_OF = new Date(`${END}T23:59:59Z`);

const SEGMENTS = [
  { id: "buyers", name: "Buyers", where: { orders: "count", gte: 1 } },
  { id: "browsers", name: "Browsers", where: { event: "*", within: "30d", count: { gte: 3 } } },
  { id: "champions", name: "Champions", where: { computed: "rfm_segment", eq: "Champions" } },
];

/** Columns that record the wall clock (`now()`) or how long something took: they differ between any two runs. */
const WALL_CLOCK = new Set([
  "imported_at",
  "marked_at",
  "created_at",
  "updated_at",
  "profile_at",
  "applied_at",
  "refreshed_at",
  "computed_at",
  "assigned_at",
  "fitted_at",
  "saved_at",
  "built_at",
  "seconds",
]);

/** Every table's rows but the wall-clock columns, as text. */
async function contents(e: Engine): Promise<string> {
  const tables = await e.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const parts: string[] = [];
  for (const t of tables.column("table_name") as string[]) {
    const cols = (await e.tableColumns(t)).filter((c) => !WALL_CLOCK.has(c));
    const r = await e.query(
      `SELECT ${cols.map((c) => e.dialect.quoteIdent(c)).join(", ")} FROM ${e.dialect.quoteIdent(t)} ORDER BY ALL`,
    );
    parts.push(
      `${t}(${cols.join(",")}): ${JSON.stringify(r.rows(), (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
    );
  }
  return parts.join("\n");
}

/**
 * A result as compared: without the times it took (`seconds`, `phases`), and with numbers rounded to 12
 * significant digits — the engine's parallel aggregation adds doubles in an order that depends on its threads,
 * so the last bits of a sum differ between two runs of the same query even one at a time.
 */
function comparable(x: unknown): unknown {
  if (typeof x === "number" && !Number.isInteger(x)) return Number(x.toPrecision(12));
  if (Array.isArray(x)) return x.map(comparable);
  if (x !== null && typeof x === "object" && !(x instanceof Date))
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k]) => k !== "seconds" && k !== "phases")
        .map(([k, v]) => [k, comparable(v)]),
    );
  return x;
}

/** Consent rows in memory (as the tracking API will hand them over), for people the base already has. */
function consentBatch(customers: string[]): Record<string, unknown>[] {
  return customers.slice(0, 40).map((id, i) => ({
    customer_id: id,
    purpose: "marketing",
    channel: i % 2 ? "sms" : "push",
    status: i % 3 ? "granted" : "withdrawn",
    timestamp: `2026-06-${String(1 + (i % 28)).padStart(2, "0")}T10:00:00Z`,
    source: "api",
  }));
}

let dir: string;
let files: Record<string, string>;
let base: string;
let someCustomers: string[];

beforeAll(async () => {
  dir = tempDir();
  const out = join(dir, "data");
  const g = await generate({ customers: 1500, seed: 11, days: 180, outDir: out, endDate: END });
  files = Object.fromEntries(
    Object.entries(g.files).map(([k, v]) => [k, v.startsWith("/") ? v : join(out, v)]),
  );
  base = join(dir, "base.duckdb");
  const store = await openStore(base);
  try {
    for (const kind of ["customers", "events", "orders", "order-lines"] as const)
      await runOperation(store, importOperation, { kind, files: [fileOf(kind)] });
    await runOperation(store, rfmOperation, { asOf: AS_OF });
    for (const definition of SEGMENTS) await runOperation(store, segmentAddOperation, { definition });
    await runOperation(store, segmentRefreshOperation, { asOf: AS_OF });
    someCustomers = await store.read(
      async (e) =>
        (await e.query("SELECT customer_id FROM customers ORDER BY 1 LIMIT 40")).column(
          "customer_id",
        ) as string[],
    );
  } finally {
    await store.close();
  }
}, 120_000);

function fileOf(kind: string): string {
  const path = Object.entries(files).find(
    ([k]) => k.replace(/[^a-z]/gi, "").toLowerCase() === kind.replace(/-/g, "").toLowerCase(),
  )?.[1];
  if (!path) throw new Error(`no generated file for ${kind} in ${Object.keys(files).join(", ")}`);
  return path;
}

/** The store, counting how many operations are at work in it at once (the peak shows they overlapped). */
function counting(store: Store): Store & { peak: () => number } {
  let now = 0;
  let peak = 0;
  const at =
    <T>(work: () => Promise<T>) =>
    async () => {
      peak = Math.max(peak, ++now);
      try {
        return await work();
      } finally {
        now--;
      }
    };
  return {
    dialect: store.dialect,
    location: store.location,
    session: () => store.session(),
    read: (work) => store.read((s) => at(() => work(s))()),
    write: (work) => store.write((s) => at(() => work(s))()),
    close: () => store.close(),
    peak: () => peak,
  };
}

/** The mixed work, in the order it is asked for; writes run in that order, reads whenever they can. */
function work(store: Store): (() => Promise<unknown>)[] {
  const preview = (where: unknown) =>
    runOperation(store, segmentPreviewOperation, { definition: { id: "p", name: "p", where }, asOf: AS_OF });
  return [
    () => runOperation(store, importOperation, { kind: "consents", files: [fileOf("consents")] }),
    () => preview({ orders: "sum", within: "90d", gte: 100 }),
    () =>
      runOperation(store, importOperation, { kind: "survey-responses", files: [fileOf("survey-responses")] }),
    () => preview({ all: [{ segment: "buyers" }, { not: { segment: "browsers" } }] }),
    () => runOperation(store, segmentRefreshOperation, { asOf: AS_OF }),
    () => runOperation(store, segmentOverlapOperation, { ids: [] }),
    () => runOperation(store, rfmOperation, { asOf: AS_OF }),
    () => runOperation(store, kpisOperation, { asOf: AS_OF, by: { kind: "rfm_segment" } }),
    () =>
      runOperation(store, importBatchOperation, {
        kind: "consents",
        rows: consentBatch(someCustomers),
        source: "api",
      }),
    () => runOperation(store, segmentExplainOperation, { id: "buyers", asOf: AS_OF }),
    () => runOperation(store, paretoOperation, { asOf: AS_OF }),
    () => runOperation(store, segmentMeceOperation, { ids: [] }),
  ];
}

describe("one store, many callers", () => {
  it("runs mixed operations at once with the results and the database of a sequential run", async () => {
    const sequentialDb = join(dir, "sequential.duckdb");
    const concurrentDb = join(dir, "concurrent.duckdb");
    copyFileSync(base, sequentialDb);
    copyFileSync(base, concurrentDb);

    const seq = await openStore(sequentialDb);
    const alone: unknown[] = [];
    try {
      for (const op of work(seq)) alone.push(await op());
    } finally {
      await seq.close();
    }

    const conc = counting(await openStore(concurrentDb));
    let together: unknown[];
    try {
      const ops = work(conc);
      expect(ops.length).toBeGreaterThanOrEqual(8);
      together = await Promise.all(ops.map((op) => op()));
    } finally {
      await conc.close();
    }
    // They ran at once: the reads did not wait for each other or for the writes.
    expect(conc.peak()).toBeGreaterThanOrEqual(8);

    for (const [i, r] of together.entries())
      expect(comparable(r), `operation ${i}`).toEqual(comparable(alone[i]));
    // The work did something: the imports added rows and the reports are not empty.
    expect((alone[0] as { accepted: number }).accepted).toBeGreaterThan(0);
    expect((alone[8] as { accepted: number }).accepted).toBe(40);
    expect((alone[5] as { ids: string[] }).ids).toEqual(["browsers", "buyers", "champions"]);

    const [a, b] = await Promise.all(
      [sequentialDb, concurrentDb].map(async (path) => {
        const store = await openStore(path);
        try {
          return await store.read(contents);
        } finally {
          await store.close();
        }
      }),
    );
    expect(b).toBe(a);
    expect(readFileSync(concurrentDb).length).toBeGreaterThan(0);
  }, 240_000);
});
