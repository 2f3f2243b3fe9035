/**
 * The synthetic data generator: a deterministic population of customers with planted
 * personas, BG/NBD purchases, web and e-mail behaviour, consents, surveys and dirt, written in
 * Tessera's canonical import formats (DESIGN.md, "Import formats"). See README.md here.
 *
 * Memory stays bounded: customers are generated one at a time and their rows go straight to
 * buffered file streams; only truth bookkeeping (dirt, returns, bounces: a few percent of
 * customers) is kept until the end.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { BufferedWriter } from "./csv-writer.js";
import { CUSTOMER_COLUMNS, CustomerRows } from "./customer-rows.js";
import { campaignCalendar } from "./email.js";
import { EventSink } from "./events.js";
import { EventConversion } from "./parquet.js";
import { PERSONAS } from "./planted-personas.js";
import { type RunState, simulateCustomer, TRUTH_CUSTOMER_COLUMNS } from "./simulate.js";
import { parseIsoDate, SECONDS_PER_DAY, TimestampFormatter } from "./timestamps.js";
import { buildTruth, writeTruth } from "./truth.js";

/** What to generate. */
export interface GenerateOptions {
  /** Number of people (dirt duplicates come on top). */
  customers: number;
  /** Any safe integer; the same seed gives byte-identical files. */
  seed: number;
  /** Length of the simulated period in days (default 365). */
  days?: number;
  /** Fraction of customers hit by each kind of dirt (default 0.02; 0 = clean). */
  dirt?: number;
  /** Directory the files are written to (created if missing). */
  outDir: string;
  /** Last day of the period, ISO date (default "2026-06-30"); never "now", for determinism. */
  endDate?: string;
  /** Called every few thousand customers and at the end. */
  onProgress?: (done: number, total: number) => void;
}

/** What was generated. */
export interface GenerateResult {
  /** Logical name → absolute or outDir-relative path of each file written. */
  files: Record<string, string>;
  /** Rows written per file (customers includes dirt duplicates). */
  counts: {
    customers: number;
    events: number;
    orders: number;
    orderLines: number;
    consents: number;
    surveyResponses: number;
  };
  /** Wall-clock seconds of the whole run. */
  seconds: number;
}

const FILE_NAMES = {
  customers: "customers.csv",
  events: "events.parquet",
  orders: "orders.csv",
  orderLines: "order-lines.csv",
  consents: "consents.csv",
  surveyResponses: "survey-responses.csv",
  truth: "truth.json",
  truthCustomers: "truth-customers.csv",
} as const;

/** The files `generate` writes into its folder (replacing any of the same name), truth.json last. */
export const GENERATED_FILES: readonly string[] = Object.values(FILE_NAMES);
/** The file that marks a folder as the generator's output. */
export const TRUTH_FILE = FILE_NAMES.truth;

/** Customers between back-pressure checks and progress reports. */
const BATCH = 2_000;
/** Name prefix of temporary files in the output folder. */
const TEMP_PREFIX = ".events.tmp";

function validate(opts: GenerateOptions): { days: number; dirt: number; endDate: string } {
  const days = opts.days ?? 365;
  const dirt = opts.dirt ?? 0.02;
  const endDate = opts.endDate ?? "2026-06-30";
  const bad = (field: string, message: string): UserError => new UserError("bad-option", message, field);
  if (!Number.isSafeInteger(opts.customers) || opts.customers < 1) {
    throw bad("customers", `must be a positive integer, got ${opts.customers}`);
  }
  if (!Number.isSafeInteger(opts.seed)) throw bad("seed", `must be a safe integer, got ${opts.seed}`);
  if (!Number.isInteger(days) || days < 1) throw bad("days", `must be a positive integer, got ${days}`);
  if (!(dirt >= 0 && dirt <= 0.5)) throw bad("dirt", `must be between 0 and 0.5, got ${dirt}`);
  try {
    parseIsoDate(endDate);
  } catch (e) {
    throw bad("endDate", (e as Error).message);
  }
  return { days, dirt, endDate };
}

/** Generates the data set into `opts.outDir`; see GenerateOptions. */
export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const started = performance.now();
  const { days, dirt, endDate } = validate(opts);
  const { customers, seed, outDir } = opts;
  await mkdir(outDir, { recursive: true });

  const fmt = new TimestampFormatter();
  const periodEnd = parseIsoDate(endDate) + SECONDS_PER_DAY;
  const periodStart = periodEnd - days * SECONDS_PER_DAY;
  const path = (name: string): string => join(outDir, name);

  const open = (name: string, header: readonly string[]): BufferedWriter => {
    const w = new BufferedWriter(path(name));
    w.write(`${header.join(",")}\n`);
    return w;
  };
  await removeTemporaries(outDir);
  const conversion = await EventConversion.start(outDir, TEMP_PREFIX, path(FILE_NAMES.events));
  const out = {
    customers: open(FILE_NAMES.customers, CUSTOMER_COLUMNS),
    orders: open(FILE_NAMES.orders, ["order_id", "customer_id", "timestamp", "total", "currency"]),
    lines: open(FILE_NAMES.orderLines, [
      "order_id",
      "timestamp",
      "customer_id",
      "sku",
      "category",
      "description",
      "quantity",
      "unit_price",
    ]),
    consents: open(FILE_NAMES.consents, [
      "customer_id",
      "purpose",
      "channel",
      "status",
      "timestamp",
      "source",
    ]),
    surveys: open(FILE_NAMES.surveyResponses, ["customer_id", "survey", "question", "answer", "timestamp"]),
    truth: open(FILE_NAMES.truthCustomers, TRUTH_CUSTOMER_COLUMNS),
  };
  const writers = Object.values(out);
  let eventsOut: BufferedWriter;
  try {
    eventsOut = new BufferedWriter(await conversion.openInput());
  } catch (e) {
    for (const w of writers) w.destroy();
    await conversion.abort().catch(() => {});
    throw e;
  }

  const state: RunState = {
    seed,
    periodStart,
    periodEnd,
    fmt,
    campaigns: campaignCalendar(seed, periodStart, periodEnd, fmt),
    sink: new EventSink(eventsOut),
    out,
    customerRows: new CustomerRows(customers, dirt),
    returns: [],
    hardBounces: [],
    personaCounts: PERSONAS.map(() => 0),
    counts: { customers: 0, orders: 0, orderLines: 0, consents: 0, surveyResponses: 0, cohort: 0 },
  };

  try {
    for (let from = 0; from < customers; from += BATCH) {
      const to = Math.min(customers, from + BATCH);
      for (let i = from; i < to; i++) simulateCustomer(state, i);
      state.sink.flush();
      for (const w of writers) await w.drain();
      // When the engine reads the events through a pipe, this is where generation waits for it.
      await eventsOut.drain();
      conversion.check();
      opts.onProgress?.(to, customers);
    }
    await Promise.all(writers.map((w) => w.close()));
    await eventsOut.close();
    await conversion.finish();
  } catch (e) {
    for (const w of [...writers, eventsOut]) w.destroy();
    await conversion.abort().catch(() => {});
    await removeTemporaries(outDir);
    // A broken pipe only says that the engine stopped reading; its own error says why.
    throw conversion.error ?? e;
  }

  const counts = {
    customers: state.counts.customers,
    events: state.sink.count,
    orders: state.counts.orders,
    orderLines: state.counts.orderLines,
    consents: state.counts.consents,
    surveyResponses: state.counts.surveyResponses,
  };
  const files: Record<string, string> = Object.fromEntries(Object.entries(FILE_NAMES));
  const truth = buildTruth({
    seed,
    options: { customers, days, dirt, endDate },
    period: { start: fmt.iso(periodStart), end: fmt.iso(periodEnd) },
    files,
    counts,
    cohortSize: state.counts.cohort,
    personaCounts: state.personaCounts,
    dirt: state.customerRows.dirt,
    dirtCounts: state.customerRows.counts,
    returns: state.returns,
    hardBounces: state.hardBounces,
  });
  await writeTruth(path(FILE_NAMES.truth), truth);
  return {
    files: Object.fromEntries(Object.entries(FILE_NAMES).map(([k, name]) => [k, path(name)])),
    counts,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Removes temporary files a run leaves while it works (or that an interrupted run left behind). */
async function removeTemporaries(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true });
  }
}
