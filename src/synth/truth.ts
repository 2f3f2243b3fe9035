/**
 * truth.json: what the generator planted, so that later stages (quality checks, identity
 * resolution, clustering, BG/NBD and Gamma-Gamma fits) can be scored against it.
 * Per-customer facts live in truth-customers.csv (referenced from here) because a JSON array
 * of a million objects loads slowly; everything else is here.
 */
import { writeFile } from "node:fs/promises";
import { DIRT_KINDS, type DirtItem } from "./customer-rows.js";
import { BUYER_SHARE, CURRENCY, HARD_BOUNCE_RATE, RETURN_RATE, TRUE_PARAMETERS } from "./model.js";
import type { ReturnRecord } from "./orders.js";
import { PERSONAS } from "./planted-personas.js";
import { TRUTH_CUSTOMER_COLUMNS } from "./simulate.js";
import { SURVEYS } from "./surveys.js";

/** Inputs of the truth document. */
export interface TruthInputs {
  readonly seed: number;
  readonly options: { customers: number; days: number; dirt: number; endDate: string };
  readonly period: { start: string; end: string };
  readonly files: Record<string, string>;
  readonly counts: Record<string, number>;
  readonly cohortSize: number;
  readonly personaCounts: readonly number[];
  readonly dirt: readonly DirtItem[];
  readonly dirtCounts: Readonly<Record<string, number>>;
  readonly returns: readonly ReturnRecord[];
  readonly hardBounces: readonly string[];
}

/** Builds the truth document (stable key order, so equal inputs give identical bytes). */
export function buildTruth(t: TruthInputs): unknown {
  return {
    generator: "tessera-synth",
    version: 1,
    seed: t.seed,
    options: t.options,
    period: {
      start: t.period.start,
      end: t.period.end,
      note: "events and orders fall in [start, end); BG/NBD T is measured from a buyer's first order to end",
    },
    timeUnit: TRUE_PARAMETERS.timeUnit,
    timeUnitDays: 7,
    currency: CURRENCY,
    bgnbd: {
      ...TRUE_PARAMETERS.bgnbd,
      note: "lambda ~ Gamma(shape r, rate alpha) purchases per week; p ~ Beta(a, b) dropout after each repeat purchase",
    },
    gammaGamma: {
      ...TRUE_PARAMETERS.gammaGamma,
      note: "order value z ~ Gamma(shape p, rate nu) in currency units; nu ~ Gamma(shape q, rate v)",
    },
    cohort: {
      size: t.cohortSize,
      buyerShare: BUYER_SHARE,
      definition:
        "customers with cohort=1 in truth-customers.csv: at least one order; the first order is their birth, " +
        "births are uniform over the period; browse-only customers (cohort=0) never order",
    },
    personas: PERSONAS.map((p, index) => ({ index, ...p, count: t.personaCounts[index] ?? 0 })),
    customersFile: {
      path: t.files.truthCustomers,
      columns: TRUTH_CUSTOMER_COLUMNS,
      note:
        "one row per generated person in customer order (dirt duplicates excluded); persona is an index into personas; " +
        "bgnbd_lambda (purchases/week), bgnbd_p (dropout) and gg_nu (spend rate) are the true draws, empty for cohort=0; " +
        "first_purchase is the birth; alive is 1 when not dropped out by the end; " +
        "anonymous_ids are the person's device ids, ';'-separated",
    },
    surveys: SURVEYS,
    dirt: {
      rate: t.options.dirt,
      kinds: DIRT_KINDS,
      counts: Object.fromEntries(DIRT_KINDS.map((k) => [k, t.dirtCounts[k] ?? 0])),
      items: t.dirt,
    },
    returns: {
      rate: RETURN_RATE,
      count: t.returns.length,
      note: "a return is an order-lines.csv row with quantity -1 on the original order id; orders.csv totals exclude returns",
      items: t.returns,
    },
    hardBounces: {
      rate: HARD_BOUNCE_RATE,
      count: t.hardBounces.length,
      customerIds: t.hardBounces,
    },
    counts: t.counts,
    files: t.files,
  };
}

/** Writes truth.json. */
export async function writeTruth(path: string, truth: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(truth, null, 1)}\n`);
}
