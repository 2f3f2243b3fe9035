import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { type ClvFit, fitClv } from "../analytics/clv.js";
import { predictClv } from "../analytics/clv-predict.js";
import { type RfmReport, rfm } from "../analytics/rfm.js";
import { UserError } from "../errors.js";
import { importDirectory } from "../ingest/import-directory.js";
import type { ImportSummary } from "../ingest/import-types.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { type AuditReport, audit } from "../quality/audit.js";
import { recordAudit } from "../quality/audit-runs.js";
import { gatedSegmentSizes } from "../segments/membership-reports.js";
import { saveSegment } from "../segments/segment-store.js";
import { engineOf } from "../store/engines.js";
import { openStore } from "../store/open-store.js";
import { type StoreStats, storeStats } from "../store/stats.js";
import { FOR_READING } from "../store/store.js";
import { generate } from "../synth/generate.js";
import { defineOperation } from "./operation.js";
import { refreshAll } from "./refresh-pipeline.js";
import { wholeNumber } from "./schema-types.js";
import { type GatedRefreshedSegment, gateRefreshed } from "./segment-operations.js";

/** Segments the demo saves, to show the language on the generated base. */
const DEMO_SEGMENTS = [
  {
    id: "champions-mobile",
    name: "Champions who browse on mobile",
    where: {
      all: [
        { computed: "rfm_segment", eq: "Champions" },
        {
          event: "Product Viewed",
          within: "30d",
          where: { property: "device", eq: "mobile" },
          count: { gte: 2 },
        },
      ],
    },
  },
  {
    id: "at-risk-reachable",
    name: "Valuable but slipping, and reachable by email",
    where: {
      all: [
        { computed: "p_alive", lt: 0.5 },
        { orders: "sum", within: "1y", gte: 200 },
        { consent: "marketing", channel: "email" },
      ],
    },
  },
  {
    id: "evening-browsers",
    name: "Evening browsers who have not bought in 90 days",
    where: {
      all: [
        { event: "*", type: "page", within: "30d", hour: { gte: 18 }, count: { gte: 3 } },
        { not: { orders: "count", within: "90d", gte: 1 } },
      ],
    },
  },
];

/** The demo database, unless the input names another. */
export const DEMO_DB = "./tessera-demo.duckdb";

/** The generated period ends here (fixed, so the demo is the same every day); audit and scores are as of it. */
export const DEMO_END = "2026-06-30";

/** The month ends before the period's end at which the demo's segments are refreshed too (their history). */
const DEMO_HISTORY = ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"].map(
  (day) => new Date(`${day}T23:59:59Z`),
);

export const DemoInput = z
  .object({
    /** The database to build the demo in (default `./tessera-demo.duckdb`). */
    db: z.string().min(1).default(DEMO_DB),
    /** How many synthetic customers. */
    customers: wholeNumber(1).default(50_000),
    /** Random seed of the generator: the same seed gives the same base. */
    seed: wholeNumber(0).default(42),
    /**
     * When `db` already exists: `refuse` (a user error: nothing is destroyed unasked), `keep` (leave it as it is and
     * report what it holds: a second `npm start`), or `replace` (`--force`: delete it and build the demo afresh).
     */
    ifExists: z.enum(["refuse", "keep", "replace"]).default("refuse"),
  })
  .strict();

/** How the demo is going: a phase begins (in plain words), the generator advances, a file is imported. */
export type DemoEvent =
  | { readonly type: "phase"; readonly phase: "generate" | "import" | "score"; readonly message: string }
  | { readonly type: "generating"; readonly done: number; readonly total: number }
  | { readonly type: "imported"; readonly summary: ImportSummary };

/** What the demo built: the `--json` document of `tessera demo` (or `DemoKept`). */
export interface DemoBuilt {
  readonly db: string;
  readonly built: true;
  readonly stats: StoreStats;
  readonly imports: ImportSummary[];
  /** The quality score and the findings with at least one case. */
  readonly audit: { readonly score: number; readonly findings: AuditReport["findings"] };
  readonly rfm: RfmReport["segments"];
  readonly clv: { readonly bgnbd: ClvFit["bgnbd"]; readonly gammaGamma: ClvFit["gammaGamma"] };
  /** Through the k-gate, as segment refresh reports them. */
  readonly segments: GatedRefreshedSegment[];
  /** The k of the k-gate the figures went through. */
  readonly minGroup: number;
  readonly seconds: number;
}

/** The demo's database was there already and `ifExists` was `keep`: left as it is; what it holds. */
export interface DemoKept {
  readonly db: string;
  readonly built: false;
  readonly stats: StoreStats;
}

export type DemoResult = DemoBuilt | DemoKept;

/**
 * What to do with the demo's database before building: nothing when there is none; else as `ifExists` says.
 * Returns true when the demo is to be built.
 */
async function clearTarget(db: string, ifExists: "refuse" | "keep" | "replace"): Promise<boolean> {
  const engine = engineOf(db);
  if (!(await engine.exists(db))) return true;
  if (ifExists === "keep") return false;
  if (ifExists === "refuse")
    throw new UserError(
      "would-replace",
      "exists, and the demo builds a new database: name a new one with --db, give --force to replace it, " +
        "or --keep to leave it and see what it holds",
      db,
    );
  if (engine.remove === undefined)
    throw new UserError(
      "would-replace",
      "exists, and the demo replaces only a DuckDB file: remove this database yourself, or name a new one",
      db,
    );
  engine.remove(db);
  return true;
}

/**
 * `demo`: generates a synthetic base into a fresh database (`db`; one that exists: see `ifExists`), imports it, audits it, scores
 * RFM and lifetime value (BG/NBD + Gamma-Gamma, fitted on the whole period), saves three example segments and
 * refreshes everything as of the period's end. Standalone: it opens the database it creates.
 */
export const demoOperation = defineOperation<typeof DemoInput, DemoResult, DemoEvent>({
  name: "demo",
  summary: "generate synthetic customers into a fresh demo database, audit, score and segment them",
  input: DemoInput,
  access: "none",
  async run(input, emit) {
    const started = performance.now();
    const { db, customers, seed } = input;
    // The demo builds a fresh database (its figures are those of the generated base alone). One that exists may
    // hold someone's data — even the default file, after `import … --db ./tessera-demo.duckdb` — so it is never
    // replaced unasked.
    if (!(await clearTarget(db, input.ifExists))) {
      const store = await openStore(db, FOR_READING);
      try {
        return { db, built: false, stats: await store.read(storeStats) };
      } finally {
        await store.close();
      }
    }
    const dir = mkdtempSync(join(tmpdir(), "tessera-demo-"));
    try {
      emit({
        type: "phase",
        phase: "generate",
        message: `Generating ${customers.toLocaleString("en-US")} synthetic customers (six planted personas) …`,
      });
      await generate({
        customers,
        seed,
        outDir: dir,
        endDate: DEMO_END,
        onProgress: (done, total) => emit({ type: "generating", done, total }),
      });
      emit({ type: "phase", phase: "import", message: `Importing into ${db} …` });
      const store = await openStore(db);
      try {
        const built = await store.write(async (session) => {
          const imports = await importDirectory(session, dir, (summary) =>
            emit({ type: "imported", summary }),
          );
          const stats = await storeStats(session);
          const asOf = new Date(`${DEMO_END}T23:59:59Z`);
          const report = await audit(session, { asOf });
          // Recorded, as `tessera audit --record` records one: the dashboard's overview shows it.
          await recordAudit(session, report);
          emit({
            type: "phase",
            phase: "score",
            message:
              "Scoring value (RFM, BG/NBD + Gamma-Gamma lifetime value) and refreshing example segments …",
          });
          const k = await reportMinGroup(session);
          const model = await fitClv(session, {
            unit: "week",
            calibrationEnd: new Date(`${DEMO_END}T00:00:00Z`),
          });
          // Six months of history first, a refresh at each month's end with the values scored as of it, so that
          // the segments have sizes over time (entries and exits) from the start: what the dashboard's trends show.
          for (const monthEnd of DEMO_HISTORY) {
            await rfm(session, { asOf: monthEnd, minGroup: k });
            await predictClv(session, { asOf: monthEnd });
            if (monthEnd === DEMO_HISTORY[0])
              for (const def of DEMO_SEGMENTS) await saveSegment(session, def, "demo");
            await refreshAll(session, { asOf: monthEnd });
          }
          const value = await rfm(session, { asOf, minGroup: k });
          await predictClv(session, { asOf });
          const refreshed = await refreshAll(session, { asOf });
          return {
            db,
            built: true as const,
            stats,
            imports,
            audit: { score: report.score, findings: report.findings.filter((f) => f.count > 0) },
            rfm: value.segments,
            clv: { bgnbd: model.bgnbd, gammaGamma: model.gammaGamma },
            segments: gateRefreshed(refreshed.segments, await gatedSegmentSizes(session, k), k, true),
            minGroup: k,
          };
        });
        return { ...built, seconds: (performance.now() - started) / 1000 };
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
