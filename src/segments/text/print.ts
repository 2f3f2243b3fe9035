import type { Comparison, Condition, PropertyCondition, Scalar, Window } from "../definition.js";
import type { Feature } from "../leaf-features.js";
import { opOf } from "../validate.js";
import type { ResolvedWindow } from "../window.js";

/**
 * The text form of the segment language, printed from the JSON form. `parse.ts` (a condition) and
 * `segment-document.ts` (a whole segment) read it back: printing then parsing gives the same JSON (tested as a
 * property).
 *
 *   country in ("DE", "FR") and orders.sum(total, 365d) >= 500
 *     and count(event "Product Viewed", 30d, device = "mobile") >= 3 and not segment("recent-buyers")
 *     and account.industry = "Software"
 */

import { KEYWORDS } from "./keywords.js";

export { KEYWORDS };

const IDENT = /^[a-z_][a-z0-9_]*$/;

function name(kind: "trait" | "prop", n: string): string {
  return IDENT.test(n) && !KEYWORDS.has(n) ? n : `${kind}(${JSON.stringify(n)})`;
}

function scalar(v: Scalar): string {
  if (typeof v === "object") return `ago(${v.ago})`;
  return JSON.stringify(v);
}

function window(w: Window): string {
  return typeof w === "string" ? w : `${JSON.stringify(w.from)}..${JSON.stringify(w.to)}`;
}

/** A comparison after its subject: `>= 3`, `in ("a", "b")`, `exists`. */
export function printComparison(c: Comparison): string {
  const op = opOf(c);
  const v = (c as Record<string, unknown>)[op];
  switch (op) {
    case "eq":
      return `= ${scalar(v as Scalar)}`;
    case "neq":
      return `!= ${scalar(v as Scalar)}`;
    case "gt":
      return `> ${scalar(v as Scalar)}`;
    case "gte":
      return `>= ${scalar(v as Scalar)}`;
    case "lt":
      return `< ${scalar(v as Scalar)}`;
    case "lte":
      return `<= ${scalar(v as Scalar)}`;
    case "in":
      return `in (${(v as Scalar[]).map(scalar).join(", ")})`;
    case "not_in":
      return `not in (${(v as Scalar[]).map(scalar).join(", ")})`;
    case "between": {
      const [lo, hi] = v as [Scalar, Scalar];
      return `between ${scalar(lo)} and ${scalar(hi)}`;
    }
    case "contains":
      return `contains ${JSON.stringify(v)}`;
    case "starts_with":
      return `starts with ${JSON.stringify(v)}`;
    case "exists":
      return v ? "exists" : "not exists";
  }
}

function property(p: PropertyCondition, top: boolean): string {
  if ("all" in p)
    return p.all.length === 1
      ? `all(${property(p.all[0] as PropertyCondition, true)})`
      : wrap(p.all.map((x) => property(x, false)).join(" and "), !top);
  if ("any" in p)
    return p.any.length === 1
      ? `any(${property(p.any[0] as PropertyCondition, true)})`
      : wrap(p.any.map((x) => property(x, false)).join(" or "), !top);
  if ("not" in p) return `not ${property(p.not, false)}`;
  return `${name("prop", p.property)} ${printComparison(p)}`;
}

function wrap(s: string, paren: boolean): string {
  return paren ? `(${s})` : s;
}

/** The arguments of an event leaf (or of the feature that counts for it), its window already written. */
function eventArgs(
  e: {
    readonly event: string;
    readonly type?: string | undefined;
    readonly hour?: Comparison | undefined;
    readonly weekday?: Comparison | undefined;
    readonly where?: PropertyCondition | undefined;
  },
  within: string | undefined,
): string {
  const args = [`event ${JSON.stringify(e.event)}`];
  if (e.type) args.push(`type ${e.type}`);
  if (within !== undefined) args.push(within);
  if (e.hour) args.push(`hour ${printComparison(e.hour)}`);
  if (e.weekday) args.push(`weekday ${printComparison(e.weekday)}`);
  if (e.where) args.push(property(e.where, true));
  return args.join(", ");
}

/** Prints a condition; `parent` decides where parentheses are needed ("and" binds tighter than "or"). */
export function printCondition(c: Condition, parent: "top" | "and" | "or" | "not" = "top"): string {
  // A group of one has no operator to show: it prints as all(x) / any(x), so that it parses back as a group.
  if ("all" in c) {
    if (c.all.length === 1) return `all(${printCondition(c.all[0] as Condition)})`;
    return wrap(
      c.all.map((x) => printCondition(x, "and")).join(" and "),
      parent === "not" || parent === "and",
    );
  }
  if ("any" in c) {
    if (c.any.length === 1) return `any(${printCondition(c.any[0] as Condition)})`;
    return wrap(c.any.map((x) => printCondition(x, "or")).join(" or "), parent !== "top");
  }
  if ("not" in c) return `not ${printCondition(c.not, "not")}`;
  if ("trait" in c) return `${name("trait", c.trait)} ${printComparison(c)}`;
  if ("computed" in c) return `computed(${JSON.stringify(c.computed)}) ${printComparison(c)}`;
  // After the dot any identifier reads as the trait (a keyword too: `account.type`); other names are quoted.
  if ("account" in c)
    return `${IDENT.test(c.account) ? `account.${c.account}` : `account(${JSON.stringify(c.account)})`} ${printComparison(c)}`;
  if ("segment" in c) return `segment(${JSON.stringify(c.segment)})`;
  if ("consent" in c)
    return `consent(${JSON.stringify(c.consent)}${c.channel ? `, ${JSON.stringify(c.channel)}` : ""})`;
  if ("event" in c) {
    const args = eventArgs(c, c.within !== undefined ? window(c.within) : undefined);
    return c.count ? `count(${args}) ${printComparison(c.count)}` : `has(${args})`;
  }
  const args: string[] = [];
  if (c.of) args.push(c.of);
  if (c.within !== undefined) args.push(window(c.within));
  if (c.category !== undefined) {
    const cats = Array.isArray(c.category) ? c.category : [c.category];
    args.push(
      `category(${cats.map((x) => JSON.stringify(x)).join(", ")}${Array.isArray(c.category) && cats.length === 1 ? "," : ""})`,
    );
  }
  return `orders.${c.orders}(${args.join(", ")}) ${printComparison(c)}`;
}

/**
 * A whole segment in the text form: its header lines, then `where:` with the condition, a top-level `and` or `or`
 * group one item a line (an editor's view of it). `parseSegmentText` reads it back.
 */
export function printSegment(def: {
  readonly id: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly where: Condition;
}): string {
  const head = [`id: ${def.id}`, `name: ${def.name}`];
  if (def.description !== undefined) head.push(`description: ${def.description}`);
  const c = def.where;
  const group =
    "all" in c
      ? { items: c.all, op: "and" as const }
      : "any" in c
        ? { items: c.any, op: "or" as const }
        : null;
  const where =
    group && group.items.length > 1
      ? group.items.map((x) => printCondition(x, group.op)).join(`\n  ${group.op} `)
      : printCondition(c);
  return `${head.join("\n")}\nwhere: ${where}\n`;
}

/** A one-line description of a condition, for explanations. */
export function describeCondition(c: Condition): string {
  const s = printCondition(c);
  return s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

/** A resolved window as the language writes it: `30d`, `"2024-01-01".."2024-03-31"`. */
function resolvedWindow(w: ResolvedWindow): string {
  return window(w.kind === "relative" ? `${w.n}${w.unit}` : { from: w.from, to: w.to });
}

/**
 * What a stored feature (a column of the segment feature table) holds, in the language's words for it, as a leaf
 * reads it: `count(event "Product Viewed", 30d, device = "mobile")`, `orders.sum(total, 365d)`,
 * `consent("marketing", "email")` (whether it is granted). For people reading their stored data (an access
 * request), where the column's name (`f3`) says nothing.
 */
export function featureText(f: Feature): string {
  if (f.kind === "consent")
    return `consent(${JSON.stringify(f.purpose)}${f.channel ? `, ${JSON.stringify(f.channel)}` : ""})`;
  if (f.kind === "event") return `count(${eventArgs(f, f.window && resolvedWindow(f.window))})`;
  // What is aggregated, where it matters (a count or a date of an order has no measure).
  const measured = f.agg === "sum" || f.agg === "avg" || f.agg === "min" || f.agg === "max";
  const args: string[] = measured ? [f.of] : [];
  if (f.window) args.push(resolvedWindow(f.window));
  if (f.categories) args.push(`category(${f.categories.map((x) => JSON.stringify(x)).join(", ")})`);
  const leaf = `orders.${f.agg}(${args.join(", ")})`;
  // Days since are counted when a segment is evaluated: what is stored is the order's time.
  if (f.agg === "days_since_last") return `time of the last order (for ${leaf})`;
  if (f.agg === "days_since_first") return `time of the first order (for ${leaf})`;
  return leaf;
}
