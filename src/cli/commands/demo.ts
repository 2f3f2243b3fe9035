import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { fitClv } from "../../analytics/clv.js";
import { predictClv } from "../../analytics/clv-predict.js";
import { rfm } from "../../analytics/rfm.js";
import { importDirectory } from "../../ingest/import-directory.js";
import { refreshAll } from "../../operations/refresh-pipeline.js";
import { audit } from "../../quality/audit.js";
import { saveSegment } from "../../segments/segment-store.js";
import { openSession } from "../../store/open-store.js";
import { storeStats } from "../../store/stats.js";
import { generate } from "../../synth/generate.js";
import type { Cli } from "../context.js";
import { intOption } from "../parse.js";
import { progressBar } from "../progress.js";
import { formatCount, table } from "../table.js";

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

/** The demo database, unless --db names another. */
export const DEMO_DB = "./tessera-demo.duckdb";

/** The generated period ends here (fixed, so the demo is the same every day); the audit judges as of it. */
const DEMO_END = "2026-06-30";

export function registerDemo(program: Command, cli: Cli): void {
  program
    .command("demo")
    .description(
      "generate 50,000 customers into a fresh demo database, audit them, and show what to try next",
    )
    .option("--customers <n>", "how many customers", "50000")
    .option("--seed <s>", "random seed", "42")
    .action(async (opts, cmd: Command) => {
      const { json } = cli.globals(cmd);
      const explicitDb = (cmd.optsWithGlobals() as { db?: string }).db;
      const db = explicitDb ?? DEMO_DB;
      const say = (t: string) => !json && cli.io.out(t);
      const started = performance.now();
      for (const f of [db, `${db}.wal`]) rmSync(f, { force: true });
      const dir = mkdtempSync(join(tmpdir(), "tessera-demo-"));
      try {
        const customers = intOption(opts.customers, "--customers", 1) as number;
        say(`Generating ${formatCount(customers)} synthetic customers (six planted personas) …\n`);
        const bar = progressBar(json ? { ...cli.io, interactive: false } : cli.io, "generating");
        await generate({
          customers,
          seed: intOption(opts.seed, "--seed", 0) as number,
          outDir: dir,
          endDate: DEMO_END,
          onProgress: (d: number, t: number) => bar.update(d, t),
        });
        bar.done();
        say(`Importing into ${db} …\n`);
        const engine = await openSession(db);
        try {
          const imports = await importDirectory(engine, dir, (s) =>
            say(
              `  ${s.kind.padEnd(17)} ${formatCount(s.accepted).padStart(11)} rows  (${s.seconds.toFixed(1)} s)\n`,
            ),
          );
          const stats = await storeStats(engine);
          const asOf = new Date(`${DEMO_END}T23:59:59Z`);
          const report = await audit(engine, { asOf });
          say("Scoring value (RFM, BG/NBD + Gamma-Gamma lifetime value) and refreshing example segments …\n");
          const value = await rfm(engine, { asOf });
          const model = await fitClv(engine, {
            unit: "week",
            calibrationEnd: new Date(`${DEMO_END}T00:00:00Z`),
          });
          await predictClv(engine, { asOf });
          for (const def of DEMO_SEGMENTS) await saveSegment(engine, def, "demo");
          const refreshed = await refreshAll(engine, { asOf });
          const seconds = (performance.now() - started) / 1000;
          if (json) {
            cli.io.out(
              `${JSON.stringify({ db, stats, imports, audit: { score: report.score, findings: report.findings.filter((f) => f.count > 0) }, rfm: value.segments, clv: { bgnbd: model.bgnbd, gammaGamma: model.gammaGamma }, segments: refreshed.segments, seconds }, null, 2)}\n`,
            );
            return;
          }
          const issues = report.findings
            .filter((f) => f.count > 0 && f.severity !== "info")
            .sort((a, b) => b.count - a.count);
          say(`\nWhat is there:\n${table(["table", "rows"], Object.entries(stats))}`);
          say(`\nData quality score: ${report.score} / 100. Findings worth a look:\n`);
          say(
            table(
              ["finding", "severity", "count", "examples"],
              issues
                .slice(0, 8)
                .map((f) => [f.title, f.severity, f.count, f.examples.slice(0, 3).join(", ")]),
            ),
          );
          say(`\nRFM segments (as of ${DEMO_END}):\n`);
          say(
            table(
              ["segment", "customers", "revenue share"],
              value.segments
                .filter((x) => (x.customers ?? 0) > 0)
                .map((x) => [x.name, x.customers, `${(100 * (x.revenueShare ?? 0)).toFixed(1)}%`]),
            ),
          );
          const b = model.bgnbd;
          say(
            `\nBG/NBD fit: r ${b.r.toFixed(3)}, alpha ${b.alpha.toFixed(3)}, a ${b.a.toFixed(3)}, b ${b.b.toFixed(3)} (the generator used 0.5, 5, 0.8, 2.5)\n`,
          );
          say("\nExample segments:\n");
          say(
            table(
              ["segment", "name", "customers"],
              refreshed.segments.map((x) => [x.id, x.name, x.size]),
            ),
          );
          say(
            `\nDone in ${seconds.toFixed(0)} s. Try next:\n` +
              `  npx tessera stats --db ${db}\n` +
              `  npx tessera audit --db ${db}\n` +
              `  npx tessera traits --db ${db}\n` +
              `  npx tessera segment explain champions-mobile --db ${db}\n` +
              `  npx tessera segment preview --db ${db} --id try --name Try --where 'age < 30 and consent("marketing", "email")'\n` +
              `  npx tessera pareto --db ${db}\n` +
              `  npx tessera import customers my-customers.csv --db ${db}\n`,
          );
        } finally {
          engine.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
}
