import type { z } from "zod";
import { didYouMean } from "../common/did-you-mean.js";
import { parseDuration } from "../common/duration.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import {
  COMPARISON_OPS,
  type Comparison,
  type Condition,
  type PropertyCondition,
  type Scalar,
  type SegmentDefinition,
  SegmentSchema,
} from "./definition.js";
import { shapeProblem } from "./limits.js";
import { loadSchemaContext, type SchemaContext, type ValueType } from "./schema-context.js";
import { parseWindow } from "./window.js";

/** One problem in a definition, with its path inside the document (e.g. `where.all[1].orders`). */
export interface SegmentIssue {
  readonly path: string;
  readonly message: string;
}

/** A definition that cannot be used: every problem, each with its path. */
export class SegmentError extends UserError {
  constructor(
    readonly issues: readonly SegmentIssue[],
    where?: string,
  ) {
    super("invalid-segment", issues.map((i) => `${i.path || "(document)"}: ${i.message}`).join("; "), where);
  }
}

export { LIMITS } from "./limits.js";

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

/**
 * Saved definitions that no longer fit the database: something they name went, or changed type, after they were
 * saved (a trait dropped, a clustering removed with its computed value). Names every such segment with its issues.
 */
export class SavedSegmentError extends UserError {
  constructor(
    readonly segments: readonly { readonly id: string; readonly issues: readonly SegmentIssue[] }[],
  ) {
    const one = segments.length === 1;
    const issues = segments.flatMap(({ id, issues }) =>
      issues.map((i) => `${one ? "" : `${id}: `}${i.path || "(document)"}: ${i.message}`),
    );
    super(
      "invalid-saved-segment",
      `${issues.join("; ")}; ${
        one
          ? "the saved definition no longer fits the data: save a new version of it, or remove it"
          : "the saved definitions no longer fit the data: save new versions of them, or remove them"
      }`,
      `${one ? "segment" : "segments"} ${segments.map((x) => x.id).join(", ")}`,
    );
  }
}

/** Parses and checks a definition against what the database knows; throws SegmentError listing every issue. */
export function validateSegment(input: unknown, ctx: SchemaContext, where?: string): SegmentDefinition {
  const issues: SegmentIssue[] = [];
  const def = check(input, ctx, issues, { events: true });
  if (def === null || issues.length > 0) throw new SegmentError(issues, where);
  return def;
}

/**
 * Validates a definition against the database as it is now (`validateSegment`), loading what it may name: the
 * traits, computed values and saved segments, and of the event names only those it uses, each looked up on its
 * own (no scan of every event). Returns the definition and the context, which evaluating it needs.
 */
export async function validateWithDatabase(
  engine: Engine,
  input: unknown,
  where?: string,
): Promise<{ def: SegmentDefinition; schema: SchemaContext }> {
  // A document past the limits or that does not parse is refused before any name is looked at.
  const parsed = shapeIssue(input) === undefined ? SegmentSchema.safeParse(input) : undefined;
  const events = parsed?.success ? eventNamesOf(parsed.data.where) : [];
  const schema = await loadSchemaContext(engine, { events });
  return { def: validateSegment(input, schema, where), schema };
}

/**
 * Checks saved definitions again, against the database as it is now, before they are evaluated: what they name
 * may have gone since they were saved (a dropped trait, a removed computed value), and compiling them then would
 * fail inside the engine. Every check of `validateSegment` but the event names': an event that no longer occurs is
 * counted as none, which is no error, and looking them up would cost every refresh a query. Returns the
 * definitions as parsed; throws SavedSegmentError naming every one that no longer fits.
 */
export function validateSaved(saved: Iterable<SegmentDefinition>, ctx: SchemaContext): SegmentDefinition[] {
  const out: SegmentDefinition[] = [];
  const broken: { id: string; issues: SegmentIssue[] }[] = [];
  for (const s of saved) {
    const issues: SegmentIssue[] = [];
    const def = check(s, ctx, issues, { events: false });
    if (def === null || issues.length > 0) broken.push({ id: def?.id ?? String(s.id), issues });
    else out.push(def);
  }
  if (broken.length > 0) throw new SavedSegmentError(broken);
  return out;
}

/** A saved segment's definition (its latest version), checked again by `validateSaved`. */
export function savedDefinition(ctx: SchemaContext, id: string): SegmentDefinition {
  const saved = ctx.segments.get(id);
  // Callers name saved segments only: an id from the user is checked first (requireSegment), with a suggestion.
  if (saved === undefined) throw new Error(`segment ${id} is not saved`);
  return validateSaved([saved], ctx)[0] as SegmentDefinition;
}

/**
 * Parses a definition and checks it against `ctx`, adding every problem to `issues`; null when it does not parse.
 * Event names are checked only with `events`.
 */
function check(
  input: unknown,
  ctx: SchemaContext,
  issues: SegmentIssue[],
  opts: { events: boolean },
): SegmentDefinition | null {
  // The limits first: the schema and the checker recurse over the document.
  const tooBig = shapeIssue(input);
  if (tooBig !== undefined) {
    issues.push(tooBig);
    return null;
  }
  const parsed = SegmentSchema.safeParse(input);
  if (!parsed.success) {
    issues.push(...zodIssues(parsed.error));
    return null;
  }
  const def = parsed.data;
  const checker = new Checker(ctx, issues, opts.events);
  checker.condition(def.where, ["where"]);
  checker.cycles(def);
  return def;
}

/** The first limit (`limits.ts`) a document's condition passes, as an issue with its path. */
function shapeIssue(input: unknown): SegmentIssue | undefined {
  if (typeof input !== "object" || input === null || !("where" in input)) return undefined;
  const p = shapeProblem((input as { where: unknown }).where);
  return p && { path: formatPath(p.path), message: p.message };
}

function zodIssues(error: z.ZodError): SegmentIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

type Path = readonly PropertyKey[];

const NUMERIC: ReadonlySet<ValueType> = new Set(["integer", "number"]);
const TEMPORAL: ReadonlySet<ValueType> = new Set(["date", "timestamp"]);

class Checker {
  constructor(
    private readonly ctx: SchemaContext,
    private readonly issues: SegmentIssue[],
    /** Whether event names are checked against `ctx.events`. */
    private readonly events: boolean,
  ) {}

  private add(path: Path, message: string): void {
    this.issues.push({ path: formatPath(path), message });
  }

  condition(c: Condition, path: Path): void {
    if ("all" in c) for (const [i, x] of c.all.entries()) this.condition(x, [...path, "all", i]);
    else if ("any" in c) for (const [i, x] of c.any.entries()) this.condition(x, [...path, "any", i]);
    else if ("not" in c) this.condition(c.not, [...path, "not"]);
    else if ("trait" in c) {
      const type = this.ctx.traits.get(c.trait);
      if (type === undefined)
        this.add(
          [...path, "trait"],
          `unknown trait "${c.trait}"${didYouMean(c.trait, this.ctx.traits.keys())}`,
        );
      else if (this.ctx.sealed?.has(c.trait) && c.exists === undefined)
        this.add(
          [...path, "trait"],
          `trait ${c.trait} is personal data, stored encrypted: only whether it is set can be asked ("exists")`,
        );
      else this.comparison(c, type, path, `trait ${c.trait}`);
    } else if ("account" in c) {
      const type = this.ctx.accounts.get(c.account);
      if (type === undefined) {
        // Only the built-in id: no accounts import or group call has brought a trait yet.
        const none = this.ctx.accounts.size <= 1;
        this.add(
          [...path, "account"],
          `unknown account trait "${c.account}"${didYouMean(c.account, this.ctx.accounts.keys())}${none ? " (no account traits yet: import accounts, or send group calls with traits)" : ""}`,
        );
      } else this.comparison(c, type, path, `account trait ${c.account}`);
    } else if ("computed" in c) {
      const v = this.ctx.computed.get(c.computed);
      if (v === undefined) {
        const known = [...this.ctx.computed.keys()];
        this.add(
          [...path, "computed"],
          `unknown computed value "${c.computed}"${didYouMean(c.computed, known)}${known.length ? "" : " (none computed yet: run tessera rfm, clv or cluster)"}`,
        );
      } else this.comparison(c, v.type, path, `computed ${c.computed}`);
    } else if ("event" in c) {
      if (this.events && c.event !== "*" && !this.ctx.events.has(c.event)) {
        this.add([...path, "event"], `unknown event "${c.event}"${didYouMean(c.event, this.ctx.events)}`);
      }
      if (c.within !== undefined) this.window(c.within, [...path, "within"]);
      if (c.hour) this.range(c.hour, [...path, "hour"], "hour", 0, 23);
      if (c.weekday) this.range(c.weekday, [...path, "weekday"], "weekday", 0, 6);
      if (c.count) this.comparison(c.count, "integer", [...path, "count"], "an event count");
      if (c.where) this.property(c.where, [...path, "where"]);
    } else if ("orders" in c) {
      if (c.within !== undefined) this.window(c.within, [...path, "within"]);
      if (c.of === "quantity" && (c.orders === "days_since_last" || c.orders === "days_since_first")) {
        this.add([...path, "of"], `"of" does not apply to ${c.orders}`);
      }
      this.comparison(c, c.orders === "count" ? "integer" : "number", path, `orders.${c.orders}`);
    } else if ("segment" in c) {
      if (!this.ctx.segments.has(c.segment)) {
        this.add(
          [...path, "segment"],
          `unknown segment "${c.segment}"${didYouMean(c.segment, this.ctx.segments.keys())}`,
        );
      }
    }
  }

  private window(w: Parameters<typeof parseWindow>[0], path: Path): void {
    const r = parseWindow(w);
    if (typeof r === "string") this.add(path, r);
  }

  private range(c: Comparison, path: Path, what: string, lo: number, hi: number): void {
    this.comparison(c, "integer", path, what);
    for (const v of values(c)) {
      if (typeof v === "number" && (v < lo || v > hi || !Number.isInteger(v))) {
        this.add(path, `${what} ${v} is outside ${lo}–${hi}`);
      }
    }
  }

  private property(p: PropertyCondition, path: Path): void {
    if ("all" in p) for (const [i, x] of p.all.entries()) this.property(x, [...path, "all", i]);
    else if ("any" in p) for (const [i, x] of p.any.entries()) this.property(x, [...path, "any", i]);
    else if ("not" in p) this.property(p.not, [...path, "not"]);
    else {
      for (const v of values(p)) {
        if (typeof v === "object")
          this.add(path, `property ${p.property}: {"ago": …} applies to date traits only`);
      }
      const op = opOf(p);
      if ((op === "contains" || op === "starts_with") && typeof p[op] !== "string")
        this.add([...path, op], "expects text");
    }
  }

  /** Checks that a comparison's values fit the compared value's type. */
  comparison(c: Comparison, type: ValueType, path: Path, what: string): void {
    const op = opOf(c);
    if (op === "exists") return;
    const at = [...path, op];
    if ((op === "contains" || op === "starts_with") && type !== "string") {
      this.add(at, `${op} compares text, but ${what} is ${type}`);
      return;
    }
    if (op === "between") {
      const [lo, hi] = c.between as [Scalar, Scalar];
      if (
        typeof lo === typeof hi &&
        typeof lo !== "object" &&
        (lo as number | string) > (hi as number | string)
      ) {
        this.add(
          at,
          `between: the low end ${JSON.stringify(lo)} is above the high end ${JSON.stringify(hi)}`,
        );
      }
    }
    for (const v of values(c)) {
      if (TEMPORAL.has(type) && typeof v === "string" && !isIsoTime(v)) {
        this.add(
          at,
          `${what} is ${type}, but ${JSON.stringify(v)} is not a valid date or time (YYYY-MM-DD, or an ISO 8601 time such as 2024-01-31T12:00:00Z)`,
        );
        continue;
      }
      const got = typeof v === "object" ? "relative date" : typeof v;
      const ok =
        (NUMERIC.has(type) && typeof v === "number") ||
        (type === "string" && typeof v === "string") ||
        (type === "boolean" && typeof v === "boolean") ||
        (TEMPORAL.has(type) && (typeof v === "object" || typeof v === "string"));
      if (!ok) {
        this.add(at, `${what} is ${type}, but ${JSON.stringify(v)} is ${got === "string" ? "text" : got}`);
        continue;
      }
      if (typeof v === "object") {
        const d = parseDuration(v.ago);
        if (typeof d === "string") this.add([...at, "ago"], d);
      }
      if (type === "boolean" && !(op === "eq" || op === "neq" || op === "in" || op === "not_in")) {
        this.add(at, `${what} is boolean: compare it with eq, neq, in or exists`);
      }
      if (
        type === "integer" &&
        typeof v === "number" &&
        !Number.isInteger(v) &&
        (op === "eq" || op === "neq" || op === "in" || op === "not_in")
      ) {
        this.add(at, `${what} is a whole number, so it never equals ${v}`);
      }
    }
  }

  cycles(def: SegmentDefinition): void {
    const graph = new Map<string, string[]>();
    for (const [id, d] of this.ctx.segments) graph.set(id, refsOf(d.where));
    graph.set(def.id, refsOf(def.where));
    const path: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (id: string): string[] | null => {
      if (state.get(id) === "open") return [...path.slice(path.indexOf(id)), id];
      if (state.get(id) === "done") return null;
      state.set(id, "open");
      path.push(id);
      for (const next of graph.get(id) ?? []) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
      path.pop();
      state.set(id, "done");
      return null;
    };
    const cycle = visit(def.id);
    if (cycle) this.add(["where"], `segments refer to each other in a cycle: ${cycle.join(" → ")}`);
  }
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Whether a text is a real calendar date or time in ISO 8601 (`2024-01-31`, `2024-01-31T12:00:00Z`, with an offset
 * or none): `Date.parse` takes "1" or "2020-02-30", which an engine then refuses, or reads as another day.
 */
export function isIsoTime(text: string): boolean {
  const m = ISO_TIME.exec(text);
  if (!m) return false;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x)));
  const day = new Date(0);
  day.setUTCFullYear(y as number, (mo as number) - 1, d as number); // Date.UTC would read year 50 as 1950
  return (
    (mo as number) >= 1 &&
    (mo as number) <= 12 &&
    day.getUTCDate() === d &&
    day.getUTCMonth() === (mo as number) - 1 &&
    (h as number) < 24 &&
    (mi as number) < 60 &&
    (sec as number) < 60
  );
}

export function opOf(c: Comparison): (typeof COMPARISON_OPS)[number] {
  return COMPARISON_OPS.find((op) => (c as Record<string, unknown>)[op] !== undefined) ?? "exists";
}

function values(c: Comparison): Scalar[] {
  const op = opOf(c);
  const v = (c as Record<string, unknown>)[op];
  if (op === "exists") return [];
  return Array.isArray(v) ? (v as Scalar[]) : [v as Scalar];
}

/** The leaves of a condition (all but `all`, `any` and `not`), in document order. */
function leavesOf(c: Condition): Condition[] {
  if ("all" in c) return c.all.flatMap(leavesOf);
  if ("any" in c) return c.any.flatMap(leavesOf);
  if ("not" in c) return leavesOf(c.not);
  return [c];
}

/** The segment ids a condition refers to. */
export function refsOf(c: Condition): string[] {
  return leavesOf(c).flatMap((l) => ("segment" in l ? [l.segment] : []));
}

/** The computed values a condition reads (`{"computed": name}`), each once. */
export function computedNamesOf(c: Condition): string[] {
  return [...new Set(leavesOf(c).flatMap((l) => ("computed" in l ? [l.computed] : [])))];
}

/** The event names a condition uses (not the wildcard `*`), each once. */
export function eventNamesOf(c: Condition): string[] {
  return [...new Set(leavesOf(c).flatMap((l) => ("event" in l && l.event !== "*" ? [l.event] : [])))];
}
