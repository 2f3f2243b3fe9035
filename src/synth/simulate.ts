/**
 * One customer, start to finish: profile, signup, purchases, browsing, e-mail, consents,
 * surveys, and the rows of every output file. Each customer uses only its own random streams,
 * so customers can be generated in any batching with identical results.
 */

import { ConsentPlan } from "./consents.js";
import type { BufferedWriter } from "./csv-writer.js";
import type { CustomerRows } from "./customer-rows.js";
import { type Campaign, emailActivity } from "./email.js";
import { type ActivityContext, type EventSink, webSession } from "./events.js";
import { planOrder, type ReturnRecord, simulatePurchases, writeOrder } from "./orders.js";
import { drawProfile, type Profile, secondOfDay } from "./population.js";
import { randomFor } from "./random.js";
import { writeSurveys } from "./surveys.js";
import { SECONDS_PER_DAY, SECONDS_PER_WEEK, type TimestampFormatter } from "./timestamps.js";

/** Independent random streams of a customer. */
const STREAM_MAIN = 0;
const STREAM_DIRT = 1;

/** Browsing continues at this fraction of the usual rate once a buyer has dropped out. */
const INACTIVE_BROWSE_FACTOR = 0.15;
/** Browse-only customers look around a bit more than buyers do between purchases. */
const NON_BUYER_BROWSE_FACTOR = 1.3;

/** Everything a run writes to and accumulates. */
export interface RunState {
  readonly seed: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly fmt: TimestampFormatter;
  readonly campaigns: readonly Campaign[];
  readonly sink: EventSink;
  readonly out: {
    readonly customers: BufferedWriter;
    readonly orders: BufferedWriter;
    readonly lines: BufferedWriter;
    readonly consents: BufferedWriter;
    readonly surveys: BufferedWriter;
    readonly truth: BufferedWriter;
  };
  readonly customerRows: CustomerRows;
  readonly returns: ReturnRecord[];
  readonly hardBounces: string[];
  readonly personaCounts: number[];
  readonly counts: {
    customers: number;
    orders: number;
    orderLines: number;
    consents: number;
    surveyResponses: number;
    cohort: number;
  };
}

/** Header of truth-customers.csv (one row per generated person, duplicates excluded). */
export const TRUTH_CUSTOMER_COLUMNS = [
  "customer_id",
  "persona",
  "cohort",
  "bgnbd_lambda",
  "bgnbd_p",
  "gg_nu",
  "first_purchase",
  "orders",
  "alive",
  "anonymous_ids",
] as const;

function num(x: number): string {
  return Number.isNaN(x) ? "" : x.toPrecision(7);
}

function browse(
  ctx: ActivityContext,
  profile: Profile,
  rate: number,
  from: number,
  until: number,
  signup: number,
): number {
  if (rate <= 0 || from >= until) return 0;
  const { rng } = ctx;
  let events = 0;
  let t = from;
  for (;;) {
    t += rng.exponential(rate) * SECONDS_PER_WEEK;
    if (t >= until) break;
    const day = Math.floor((t - ctx.periodStart) / SECONDS_PER_DAY);
    const start = ctx.periodStart + day * SECONDS_PER_DAY + secondOfDay(rng, profile);
    if (start <= signup || start >= ctx.periodEnd) continue;
    events += webSession(ctx, { start });
  }
  return events;
}

/** Generates customer `index` and writes all of its rows. */
export function simulateCustomer(state: RunState, index: number): void {
  const { seed, periodStart, periodEnd, fmt } = state;
  const rng = randomFor(seed, index, STREAM_MAIN);
  const profile = drawProfile(rng, index);
  const periodWeeks = (periodEnd - periodStart) / SECONDS_PER_WEEK;
  state.personaCounts[profile.persona.index] = (state.personaCounts[profile.persona.index] ?? 0) + 1;
  state.sink.startCustomer(index);

  // Buyers are born at their first purchase, uniformly over the period; they signed up shortly before.
  const history = profile.buyer
    ? simulatePurchases(rng, profile, rng.float() * periodWeeks, periodStart, periodEnd)
    : null;
  let signup: number;
  if (history !== null) {
    const first = history.times[0] as number;
    signup = Math.floor(first - 3600 - rng.exponential(1 / 3) * SECONDS_PER_DAY);
    if (signup < periodStart)
      signup = periodStart + rng.int(Math.max(1, Math.min(3600, first - periodStart)));
  } else {
    signup = periodStart + Math.floor(rng.float() * (periodEnd - periodStart - 3600));
  }
  const lastOrder = history === null ? Number.NaN : (history.times[history.times.length - 1] as number);
  const inactiveFrom = history !== null && !history.alive ? lastOrder : Number.POSITIVE_INFINITY;

  const consent = new ConsentPlan(rng, profile, signup, periodEnd);
  const ctx: ActivityContext = { seed, rng, profile, sink: state.sink, periodStart, periodEnd, devices: [] };

  webSession(ctx, { start: signup, signup: true });

  if (history !== null) {
    state.counts.cohort++;
    history.times.forEach((at, k) => {
      const order = planOrder(rng, profile, `O${profile.id.slice(1)}-${k + 1}`, at);
      webSession(ctx, { start: at, order });
      state.counts.orderLines += writeOrder(rng, order, profile.id, periodEnd, {
        orders: state.out.orders,
        lines: state.out.lines,
        fmt,
        returns: state.returns,
      });
      state.counts.orders++;
    });
  }

  const rate = profile.persona.def.browseRate * (profile.buyer ? 1 : NON_BUYER_BROWSE_FACTOR);
  const activeUntil = Math.min(inactiveFrom, periodEnd);
  browse(ctx, profile, rate, signup, activeUntil, signup);
  browse(ctx, profile, rate * INACTIVE_BROWSE_FACTOR, activeUntil, periodEnd, signup);

  const mail = emailActivity(ctx, state.campaigns, consent, signup, inactiveFrom);
  if (mail.bounced) state.hardBounces.push(profile.id);

  state.counts.consents += consent.write(state.out.consents, profile.id, fmt);
  state.counts.surveyResponses += writeSurveys(rng, profile, signup, periodEnd, state.out.surveys, fmt);

  const dirtRng = randomFor(seed, index, STREAM_DIRT);
  const duplicateSignup = Math.min(periodEnd - 1, signup + (1 + dirtRng.int(60)) * SECONDS_PER_DAY);
  const rows = state.customerRows.rows(profile, fmt.date(signup), fmt.date(duplicateSignup), dirtRng);
  state.out.customers.write(rows.text);
  state.counts.customers += rows.rows;

  state.out.truth.write(
    `${profile.id},${profile.persona.index},${history === null ? 0 : 1},${num(profile.lambda)},${num(profile.dropout)},${num(profile.nu)},${history === null ? "" : fmt.iso(history.times[0] as number)},${history === null ? 0 : history.times.length},${history === null ? "" : history.alive ? 1 : 0},${ctx.devices.map((d) => d.anonymousId).join(";")}\n`,
  );
}
