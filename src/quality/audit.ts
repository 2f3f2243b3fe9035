/**
 * The data-quality audit: completeness, invalid values, duplicates, stale contacts, orphans, outliers and
 * returns, scored 0–100. Every check runs as SQL inside the engine; only aggregates and a few example ids come
 * back. The checks live in `checks-*.ts`, one family per file; this file resolves options and assembles the report.
 */
import { UserError } from "../errors.js";
import { contactsInClear } from "../privacy/encryption.js";
import { STATS_TABLES } from "../store/data-model.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { amountChecks } from "./checks-amounts.js";
import { completeness } from "./checks-completeness.js";
import { customerChecks } from "./checks-customers.js";
import { duplicateChecks } from "./checks-duplicates.js";
import { orderChecks } from "./checks-orders.js";
import { orphanChecks } from "./checks-orphans.js";
import { validityChecks } from "./checks-validity.js";
import { type AuditContext, aggregate } from "./context.js";
import { qualityScore, SCORE_RULE } from "./score.js";
import type { AuditOptions, AuditReport } from "./types.js";

export { findingCost, qualityScore, SCORE_RULE, SEVERITY_WEIGHTS } from "./score.js";
export type { AuditOptions, AuditReport, CompletenessRow, Finding, Severity } from "./types.js";

const DAY_MS = 86_400_000;
/**
 * The tables whose sizes the report gives, the ones `tessera stats` counts (data-model.ts); they are also the
 * denominators of most findings.
 */
const COUNTED_TABLES = STATS_TABLES.map((t) => t.table);

function resolveOptions(opts: AuditOptions): { asOf: Date; staleDays: number; examples: number } {
  const asOf = opts.asOf ?? new Date();
  if (!(asOf instanceof Date) || Number.isNaN(asOf.getTime())) {
    throw new UserError("audit.as-of", "the as-of time is not a valid date");
  }
  const staleDays = opts.staleDays ?? 365;
  if (!Number.isFinite(staleDays) || staleDays <= 0) {
    throw new UserError("audit.stale-days", `stale days must be a positive number, got ${staleDays}`);
  }
  const examples = opts.examples ?? 5;
  if (!Number.isInteger(examples) || examples < 0 || examples > 1000) {
    throw new UserError("audit.examples", `examples must be a whole number from 0 to 1000, got ${examples}`);
  }
  return { asOf, staleDays, examples };
}

/** Row counts of the data-model tables, plus the customers a customers file described. */
async function readTotals(engine: Engine): Promise<Record<string, number>> {
  const parts = COUNTED_TABLES.map((t) => sql`(SELECT count(*) FROM ${sql.ident(t)}) AS ${sql.ident(t)}`);
  parts.push(
    sql.raw("(SELECT count(*) FROM customers WHERE profile_at IS NOT NULL) AS customers_with_profile"),
  );
  return aggregate({ engine }, sql`SELECT ${sql.join(parts)}`);
}

/**
 * Audits the data in `engine` and scores it. Read-only: nothing is written.
 *
 * @example
 * const report = await audit(engine, { asOf: new Date("2011-12-10T00:00:00Z") });
 * console.log(report.score, report.findings.filter((f) => f.count > 0));
 */
export async function audit(engine: Engine, opts: AuditOptions = {}): Promise<AuditReport> {
  const { asOf, staleDays, examples } = resolveOptions(opts);
  const totals = await readTotals(engine);
  const contacts = await contactsInClear(engine);
  const ctx: AuditContext = {
    engine,
    d: engine.dialect,
    asOf,
    staleDays,
    staleCutoff: new Date(asOf.getTime() - staleDays * DAY_MS),
    examples,
    totals,
    contacts: contacts.table,
  };
  const findings = [
    ...(await validityChecks(ctx)),
    ...(await amountChecks(ctx)),
    ...(await duplicateChecks(ctx)),
    ...(await customerChecks(ctx)),
    ...(await orphanChecks(ctx)),
    ...(await orderChecks(ctx)),
  ];
  await contacts.drop();
  const notes: string[] = [];
  if (COUNTED_TABLES.every((t) => (totals[t] ?? 0) === 0)) {
    notes.push("The database is empty: there is nothing to audit yet, so the score is 100 by default.");
  }
  return {
    score: qualityScore(findings),
    scoreRule: SCORE_RULE,
    asOf: asOf.toISOString(),
    completeness: await completeness(ctx),
    findings,
    totals,
    notes,
  };
}
