/**
 * Purchases: the BG/NBD process, order values and order lines.
 *
 * BG/NBD (Fader, Hardie & Lee 2005): after the first purchase (the customer's "birth"),
 * purchases arrive as a Poisson process with rate λ; after each *repeat* purchase the customer
 * becomes inactive with probability p. (No dropout right after the first purchase: that is
 * what the BG/NBD likelihood assumes.) Order values follow Gamma-Gamma: z ~ Gamma(p, ν).
 *
 * The simulation runs in continuous weeks; each purchase then keeps its day and takes a
 * time of day from the customer's hour habit. That moves a purchase by less than a day, which
 * is negligible on the weekly scale of the model but gives personas their clock.
 */

import { formatCents } from "./catalog.js";
import type { BufferedWriter } from "./csv-writer.js";
import { pickProduct, type SessionLine } from "./events.js";
import { CURRENCY, RETURN_RATE, TRUE_PARAMETERS } from "./model.js";
import { type Profile, secondOfDay } from "./population.js";
import type { Random } from "./random.js";
import { SECONDS_PER_DAY, SECONDS_PER_WEEK, type TimestampFormatter } from "./timestamps.js";

/** The purchase times of one customer and whether they are still active at the end. */
export interface PurchaseHistory {
  /** Epoch seconds, ascending; the first is the birth. */
  readonly times: number[];
  readonly alive: boolean;
}

/**
 * Simulates BG/NBD purchases of a customer born at `birthWeeks` (weeks after `periodStart`)
 * and observed until `periodEnd` (exclusive).
 */
export function simulatePurchases(
  rng: Random,
  profile: Profile,
  birthWeeks: number,
  periodStart: number,
  periodEnd: number,
): PurchaseHistory {
  const horizon = (periodEnd - periodStart) / SECONDS_PER_WEEK;
  const weeks = [birthWeeks];
  let alive = true;
  let t = birthWeeks;
  for (;;) {
    t += rng.exponential(profile.lambda);
    if (t >= horizon) break;
    weeks.push(t);
    if (rng.float() < profile.dropout) {
      alive = false;
      break;
    }
  }
  const times = weeks.map((w) => {
    const day = Math.floor((w * SECONDS_PER_WEEK) / SECONDS_PER_DAY);
    return periodStart + day * SECONDS_PER_DAY + secondOfDay(rng, profile);
  });
  times.sort((x, y) => x - y);
  return { times, alive };
}

/** One order as written, with its lines. */
export interface PlannedOrder {
  readonly id: string;
  readonly at: number;
  readonly totalCents: number;
  readonly lines: SessionLine[];
}

/** Draws an order's value (Gamma-Gamma) and splits it into lines whose amounts sum to it exactly. */
export function planOrder(rng: Random, profile: Profile, id: string, at: number): PlannedOrder {
  const z = rng.gamma(TRUE_PARAMETERS.gammaGamma.p, profile.nu);
  const totalCents = Math.max(1, Math.round(z * 100));
  const k = Math.max(1, Math.min(5, 1 + rng.poisson(0.6), totalCents));
  // Every line gets at least one cent, the rest is shared by random weights.
  const weights: number[] = [];
  let wsum = 0;
  for (let i = 0; i < k; i++) {
    const w = 0.5 + rng.quick();
    weights.push(w);
    wsum += w;
  }
  const spare = totalCents - k;
  const lines: SessionLine[] = [];
  let assigned = 0;
  let leftover = 0;
  for (let i = 0; i < k - 1; i++) {
    const amount = 1 + Math.floor((spare * (weights[i] as number)) / wsum);
    assigned += amount;
    let quantity = rng.chance(0.2) ? (rng.chance(0.75) ? 2 : 3) : 1;
    if (amount < quantity) quantity = 1;
    const unitCents = Math.floor(amount / quantity);
    leftover += amount - unitCents * quantity;
    lines.push({ product: pickProduct(rng, profile), quantity, unitCents });
  }
  // The last line (quantity 1) takes the remainder, so the lines add up to the total exactly.
  lines.push({
    product: pickProduct(rng, profile),
    quantity: 1,
    unitCents: totalCents - assigned + leftover,
  });
  return { id, at, totalCents, lines };
}

/** A returned line, recorded in the truth. */
export interface ReturnRecord {
  readonly order_id: string;
  readonly customer_id: string;
  readonly sku: string;
  readonly quantity: number;
  readonly amount: number;
}

/** Writes orders.csv and order-lines.csv rows of one order; returns lines written. */
export function writeOrder(
  rng: Random,
  order: PlannedOrder,
  customerId: string,
  periodEnd: number,
  out: { orders: BufferedWriter; lines: BufferedWriter; fmt: TimestampFormatter; returns: ReturnRecord[] },
): number {
  const ts = out.fmt.iso(order.at);
  out.orders.write(`${order.id},${customerId},${ts},${formatCents(order.totalCents)},${CURRENCY}\n`);
  let text = "";
  for (const line of order.lines) {
    const p = line.product;
    text += `${order.id},${ts},${customerId},${p.sku},${p.category},${p.description},${line.quantity},${formatCents(line.unitCents)}\n`;
  }
  let written = order.lines.length;
  // A few orders have one unit of a line sent back later: a negative quantity on the same order.
  if (rng.quick() < RETURN_RATE) {
    const line = order.lines[rng.int(order.lines.length)] as SessionLine;
    const when = order.at + SECONDS_PER_DAY * (2 + rng.int(19)) + rng.int(SECONDS_PER_DAY);
    if (when < periodEnd) {
      const p = line.product;
      text += `${order.id},${out.fmt.iso(when)},${customerId},${p.sku},${p.category},${p.description},-1,${formatCents(line.unitCents)}\n`;
      out.returns.push({
        order_id: order.id,
        customer_id: customerId,
        sku: p.sku,
        quantity: -1,
        amount: line.unitCents / 100,
      });
      written++;
    }
  }
  out.lines.write(text);
  return written;
}
