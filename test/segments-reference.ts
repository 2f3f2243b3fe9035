/**
 * A plain reference evaluator of the segment language over in-memory rows, written from DESIGN.md's semantics
 * word for word and sharing no code with the compiler: the property test compares the two.
 */
import type { Comparison, Condition, PropertyCondition, Scalar, Window } from "../src/segments/definition.js";

export interface RefCustomer {
  id: string;
  traits: Record<string, string | number | boolean | null>;
  score: number | null; // a computed value
}
export interface RefEvent {
  customer: string;
  event: string;
  type: string;
  ts: number; // epoch ms
  props: Record<string, string | number | boolean>;
}
export interface RefLine {
  customer: string;
  order: string;
  ts: number;
  total: number; // the order's total (same on each line of an order)
  category: string;
  quantity: number;
  price: number;
}
export interface RefConsent {
  customer: string;
  purpose: string;
  channel: string | null;
  status: string;
  ts: number;
}
/** A group call: the person belongs to the account from `ts` on (stored as an event of type group). */
export interface RefGroup {
  customer: string;
  account: string;
  ts: number;
}
/** An account's row (an account named only by group calls has none). */
export interface RefAccount {
  id: string;
  traits: Record<string, string | number | null>;
}
export interface RefData {
  customers: RefCustomer[];
  traitTypes: Record<string, "string" | "integer" | "boolean" | "date">;
  events: RefEvent[];
  lines: RefLine[];
  consents: RefConsent[];
  groups: RefGroup[];
  accounts: RefAccount[];
  accountTraitTypes: Record<string, "string" | "integer" | "date">;
}

const DAY = 86_400_000;

function monthsBack(t: number, months: number): number {
  const d = new Date(t);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() - months;
  const y = Math.floor(total / 12);
  const m = total - y * 12;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return Date.UTC(
    y,
    m,
    Math.min(d.getUTCDate(), last),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  );
}

function back(asOf: number, text: string): number {
  const n = Number(text.slice(0, -1));
  switch (text.at(-1)) {
    case "d":
      return asOf - n * DAY;
    case "w":
      return asOf - 7 * n * DAY;
    case "m":
      return monthsBack(asOf, n);
    default:
      return monthsBack(asOf, 12 * n);
  }
}

function inWindow(w: Window | undefined, ts: number, asOf: number): boolean {
  if (ts > asOf) return false;
  if (w === undefined) return true;
  if (typeof w === "string") return ts > back(asOf, w);
  return ts >= Date.parse(`${w.from}T00:00:00Z`) && ts < Date.parse(`${w.to}T00:00:00Z`) + DAY;
}

type Value = string | number | boolean | null | undefined;

/** One comparison; a missing value is false except for exists:false. */
function compare(v: Value, c: Comparison, asOf: number, kind: "plain" | "date" | "property"): boolean {
  const OPS = [
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "between",
    "contains",
    "starts_with",
    "exists",
  ];
  const entries = Object.entries(c).filter(([k, x]) => x !== undefined && OPS.includes(k));
  const [op, arg] = entries[0] as [string, unknown];
  if (op === "exists") return arg ? v !== null && v !== undefined : v === null || v === undefined;
  if (v === null || v === undefined) return false;
  const norm = (a: Scalar): string | number | boolean => {
    if (typeof a === "object") {
      const t = back(asOf, a.ago);
      return kind === "date" ? new Date(t).toISOString().slice(0, 10) : t;
    }
    return a;
  };
  // Values compared here are of one type (validation guarantees it), so `<` on the union is what we mean.
  let subject = v as number;
  if (kind === "property") {
    const sample = Array.isArray(arg) ? arg[0] : arg;
    if (typeof sample === "number") {
      subject = Number(v);
      if (typeof v !== "number" && (String(v).trim() === "" || Number.isNaN(subject))) return false;
    } else subject = String(v) as unknown as number;
  }
  const a = Array.isArray(arg) ? (arg as Scalar[]).map(norm) : norm(arg as Scalar);
  switch (op) {
    case "eq":
      return subject === a;
    case "neq":
      return subject !== a;
    case "gt":
      return subject > (a as number);
    case "gte":
      return subject >= (a as number);
    case "lt":
      return subject < (a as number);
    case "lte":
      return subject <= (a as number);
    case "in":
      return (a as unknown[]).includes(subject);
    case "not_in":
      return !(a as unknown[]).includes(subject);
    case "between":
      return subject >= ((a as number[])[0] as number) && subject <= ((a as number[])[1] as number);
    case "contains":
      return String(subject).includes(String(a));
    case "starts_with":
      return String(subject).startsWith(String(a));
  }
  throw new Error(`unknown op ${op}`);
}

function propertyMatch(p: PropertyCondition, props: RefEvent["props"], asOf: number): boolean {
  if ("all" in p) return p.all.every((x) => propertyMatch(x, props, asOf));
  if ("any" in p) return p.any.some((x) => propertyMatch(x, props, asOf));
  if ("not" in p) return !propertyMatch(p.not, props, asOf);
  const raw = props[p.property];
  return compare(raw === undefined ? undefined : String(raw), p, asOf, "property");
}

/** The customers a condition selects, as of `asOf` (epoch ms). */
export function referenceEvaluate(
  data: RefData,
  where: Condition,
  asOf: number,
  segments: Record<string, Condition>,
): Set<string> {
  const out = new Set<string>();
  for (const c of data.customers) if (holds(data, c, where, asOf, segments)) out.add(c.id);
  return out;
}

function holds(
  data: RefData,
  c: RefCustomer,
  cond: Condition,
  asOf: number,
  segs: Record<string, Condition>,
): boolean {
  if ("all" in cond) return cond.all.every((x) => holds(data, c, x, asOf, segs));
  if ("any" in cond) return cond.any.some((x) => holds(data, c, x, asOf, segs));
  if ("not" in cond) return !holds(data, c, cond.not, asOf, segs);
  if ("segment" in cond) return holds(data, c, segs[cond.segment] as Condition, asOf, segs);
  if ("trait" in cond) {
    const type = data.traitTypes[cond.trait];
    return compare(c.traits[cond.trait], cond, asOf, type === "date" ? "date" : "plain");
  }
  if ("computed" in cond) return compare(c.score, cond, asOf, "plain");
  if ("account" in cond) {
    // Some account the person belongs to by the as-of time has the trait satisfying the comparison.
    const ids = new Set(data.groups.filter((g) => g.customer === c.id && g.ts <= asOf).map((g) => g.account));
    const kind = data.accountTraitTypes[cond.account] === "date" ? "date" : "plain";
    return [...ids].some((id) => {
      const value =
        cond.account === "account_id" ? id : data.accounts.find((a) => a.id === id)?.traits[cond.account];
      return compare(value, cond, asOf, kind);
    });
  }
  if ("consent" in cond) {
    const recs = data.consents.filter(
      (k) =>
        k.customer === c.id &&
        k.ts <= asOf &&
        k.purpose === cond.consent &&
        (cond.channel === undefined || k.channel === cond.channel || k.channel === null),
    );
    const granted = Math.max(...recs.filter((k) => k.status === "granted").map((k) => k.ts));
    const other = Math.max(...recs.filter((k) => k.status !== "granted").map((k) => k.ts));
    return Number.isFinite(granted) && granted > other;
  }
  if ("event" in cond) {
    // Group calls are events too (type group, no name), with their account as a property.
    const groups = data.groups.map((g) => ({
      customer: g.customer,
      event: null,
      type: "group",
      ts: g.ts,
      props: { group_id: g.account } as RefEvent["props"],
    }));
    const n = [...data.events, ...groups].filter((e) => {
      if (e.customer !== c.id || !inWindow(cond.within, e.ts, asOf)) return false;
      if (cond.event !== "*" && e.event !== cond.event) return false;
      if (cond.type && e.type !== cond.type) return false;
      const d = new Date(e.ts);
      if (cond.hour && !compare(d.getUTCHours(), cond.hour, asOf, "plain")) return false;
      if (cond.weekday && !compare((d.getUTCDay() + 6) % 7, cond.weekday, asOf, "plain")) return false;
      return !cond.where || propertyMatch(cond.where, e.props, asOf);
    }).length;
    return compare(n, cond.count ?? { gte: 1 }, asOf, "plain");
  }
  // Orders: with a category or "of": "quantity", each order counts by its positive lines in those categories.
  const cats =
    cond.category === undefined ? undefined : Array.isArray(cond.category) ? cond.category : [cond.category];
  const byOrder = new Map<
    string,
    { ts: number; amount: number; units: number; total: number; has: boolean }
  >();
  for (const l of data.lines) {
    if (l.customer !== c.id || l.ts > asOf) continue;
    const o = byOrder.get(l.order) ?? { ts: l.ts, amount: 0, units: 0, total: l.total, has: false };
    if (l.quantity > 0 && (!cats || cats.includes(l.category))) {
      o.amount += l.quantity * l.price;
      o.units += l.quantity;
      o.has = true;
    }
    byOrder.set(l.order, o);
  }
  const useLines = cats !== undefined || cond.of === "quantity";
  const orders = [...byOrder.values()].filter(
    (o) => inWindow(cond.within, o.ts, asOf) && (!useLines || o.has),
  );
  const m = orders.map((o) => (useLines ? (cond.of === "quantity" ? o.units : o.amount) : o.total));
  const sum = m.reduce((a, b) => a + b, 0);
  let v: number | null;
  switch (cond.orders) {
    case "count":
      v = orders.length;
      break;
    case "sum":
      v = sum;
      break;
    case "avg":
      v = m.length ? sum / m.length : null;
      break;
    case "min":
      v = m.length ? Math.min(...m) : null;
      break;
    case "max":
      v = m.length ? Math.max(...m) : null;
      break;
    case "days_since_last":
      v = orders.length ? Math.floor((asOf - Math.max(...orders.map((o) => o.ts))) / DAY) : null;
      break;
    case "days_since_first":
      v = orders.length ? Math.floor((asOf - Math.min(...orders.map((o) => o.ts))) / DAY) : null;
      break;
  }
  return compare(v, cond, asOf, "plain");
}
