import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { record, runCase, scratchDir } from "../measure.js";
import { privacyBase } from "../privacy/benchmark.js";

/**
 * `npm run bench -- activation` (issue 18, "Speed"), on the engine benchmark's 1M-customer data set (imported once,
 * shared with the privacy benchmark), on a copy with the segment `bench-young` (age below TESSERA_BENCH_MAX_AGE,
 * default 42: about 200,000 consented people) refreshed and the audience `bench-email` over it (marketing by email):
 * - export of that audience (≈ 200,000 consented people) in the Google Customer Match format: ≤ 5 s;
 * - rendering 100,000 personalised messages: ≥ 20,000 a second, beside a plain string concatenation of the same
 *   fields (the ratio reported);
 * - the webhook deltas after a refresh: 10,000 changes recorded and delivered to a local receiver in ≤ 2 s.
 */
export async function activationBenchmark(): Promise<void> {
  const { base, customers, script } = await privacyBase();
  const db = join(scratchDir("activation"), "activation.duckdb");
  copyFileSync(base, db);
  if (existsSync(`${base}.wal`)) copyFileSync(`${base}.wal`, `${db}.wal`);
  const maxAge = Number(process.env.TESSERA_BENCH_MAX_AGE ?? 42);
  const setup = await runCase(script("activation-setup"), [db, String(maxAge)]);
  const exported = await runCase(script("activation-export"), [db, "bench-email", "google", "3"]);
  const rendered = await runCase(script("activation-render"), [db, "100000", "3"]);
  const webhook = await runCase(script("activation-webhook"), [db, "10000", "1"]);
  const line = {
    benchmark: "activation",
    customers,
    audience: { id: "bench-email", size: setup.audienceSize, refreshSeconds: round(setup.seconds) },
    exportGoogle: {
      seconds: round(exported.seconds),
      runs: exported.runs,
      rows: exported.rows,
      notNormalised: exported.notNormalised,
      peakMiB: exported.peakMiB,
      target: "<= 5 s",
      met: exported.seconds <= 5,
    },
    render: {
      messages: rendered.messages,
      perSecond: rendered.oursPerSecond,
      plainPerSecond: rendered.plainPerSecond,
      plainOverOurs: rendered.ratio,
      peakMiB: rendered.peakMiB,
      target: ">= 20,000 messages/s",
      met: Number(rendered.oursPerSecond) >= 20_000,
    },
    webhook: {
      changes: webhook.changes,
      seconds: round(webhook.seconds),
      recordSeconds: round(Number(webhook.recordSeconds)),
      deliverSeconds: round(Number(webhook.deliverSeconds)),
      deliveries: webhook.deliveries,
      receivedPeople: webhook.receivedPeople,
      peakMiB: webhook.peakMiB,
      target: "<= 2 s for 10,000 changes",
      met: webhook.seconds <= 2 && Number(webhook.receivedPeople) >= 10_000,
    },
  };
  console.log(JSON.stringify(line, null, 2));
  record("activation", line);
}

const round = (x: number): number => Math.round(x * 100) / 100;
