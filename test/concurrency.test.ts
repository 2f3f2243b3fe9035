/**
 * Sessions for concurrent callers (issue 13): one open store serves many operations at once in one process.
 * Mixed operations — imports of different files and of a batch, a segment refresh, RFM, previews, overlap, MECE,
 * explain, KPIs and Pareto — run all at once on one store, the reads while the writes rewrite what they read; each
 * result must equal the same operation's result in a sequential run on a copy of the same database, and the two
 * databases must end up the same. (That a read sees one snapshot however writes interleave is checked on the
 * store itself, with the interleaving held in place: src/store/store.test.ts.)
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

/** When an operation was at work in the store, and whether it read or wrote. */
interface Interval {
  readonly access: "read" | "write";
  readonly start: number;
  end: number;
}

/**
 * The store, recording when each operation is at work in it, and telling (`writeStarted(n)`) when the n-th write
 * has begun — so that reads can be started while writes are at work.
 */
function recording(
  store: Store,
): Store & { intervals: Interval[]; writeStarted: (n: number) => Promise<void> } {
  const intervals: Interval[] = [];
  const waiting: { n: number; resolve: () => void }[] = [];
  let writes = 0;
  const at =
    <T>(access: "read" | "write", work: () => Promise<T>) =>
    async () => {
      const interval: Interval = { access, start: performance.now(), end: Number.POSITIVE_INFINITY };
      intervals.push(interval);
      if (access === "write") {
        writes++;
        for (const w of waiting.filter((x) => x.n <= writes)) w.resolve();
      }
      try {
        return await work();
      } finally {
        interval.end = performance.now();
      }
    };
  return {
    dialect: store.dialect,
    location: store.location,
    exclusive: store.exclusive,
    session: () => store.session(),
    read: (work) => store.read((s) => at("read", () => work(s))()),
    write: (work) => store.write((s) => at("write", () => work(s))()),
    close: () => store.close(),
    intervals,
    writeStarted: (n) =>
      n <= writes ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve })),
  };
}

/** The mixed work, in the order it is asked for; writes run in that order, reads whenever they can. */
function work(store: Store): { access: "read" | "write"; run: () => Promise<unknown> }[] {
  const preview = (where: unknown) =>
    runOperation(store, segmentPreviewOperation, { definition: { id: "p", name: "p", where }, asOf: AS_OF });
  const read = (run: () => Promise<unknown>) => ({ access: "read" as const, run });
  const write = (run: () => Promise<unknown>) => ({ access: "write" as const, run });
  return [
    write(() => runOperation(store, importOperation, { kind: "consents", files: [fileOf("consents")] })),
    read(() => preview({ orders: "sum", within: "90d", gte: 100 })),
    write(() =>
      runOperation(store, importOperation, { kind: "survey-responses", files: [fileOf("survey-responses")] }),
    ),
    read(() => preview({ all: [{ segment: "buyers" }, { not: { segment: "browsers" } }] })),
    write(() => runOperation(store, segmentRefreshOperation, { asOf: AS_OF })),
    read(() => runOperation(store, segmentOverlapOperation, { ids: [] })),
    write(() => runOperation(store, rfmOperation, { asOf: AS_OF })),
    read(() => runOperation(store, kpisOperation, { asOf: AS_OF, by: { kind: "rfm_segment" } })),
    write(() =>
      runOperation(store, importBatchOperation, {
        kind: "consents",
        rows: consentBatch(someCustomers),
        source: "api",
      }),
    ),
    read(() => runOperation(store, segmentExplainOperation, { id: "buyers", asOf: AS_OF })),
    read(() => runOperation(store, paretoOperation, { asOf: AS_OF })),
    read(() => runOperation(store, segmentMeceOperation, { ids: [] })),
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
      for (const op of work(seq)) alone.push(await op.run());
    } finally {
      await seq.close();
    }

    const conc = recording(await openStore(concurrentDb));
    let together: unknown[];
    try {
      const ops = work(conc);
      expect(ops.length).toBeGreaterThanOrEqual(8);
      // Every write is asked for at once (they queue, in order); the reads start once the refresh, the third
      // write, has begun, so that they run while the refresh, RFM and the batch import rewrite what they read.
      const writes = ops.map((op) => (op.access === "write" ? op.run() : null));
      await conc.writeStarted(3);
      const reads = ops.map((op) => (op.access === "read" ? op.run() : null));
      together = await Promise.all(ops.map((_, i) => writes[i] ?? reads[i]));
    } finally {
      await conc.close();
    }
    // They ran at once: reads overlapped each other and the writes, and no two writes overlapped.
    const reads = conc.intervals.filter((x) => x.access === "read");
    const writes = conc.intervals.filter((x) => x.access === "write");
    expect(reads).toHaveLength(7);
    expect(writes).toHaveLength(5);
    const during = (r: Interval) => writes.some((w) => r.start > w.start && r.start < w.end);
    expect(reads.filter(during).length).toBeGreaterThanOrEqual(4);
    const overlapping = (x: Interval, y: Interval) => x !== y && x.start < y.end && y.start < x.end;
    expect(reads.some((r) => reads.some((o) => overlapping(r, o)))).toBe(true);
    expect(writes.some((w) => writes.some((o) => overlapping(w, o)))).toBe(false);

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
