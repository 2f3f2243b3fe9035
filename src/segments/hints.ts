import { nearest } from "../common/did-you-mean.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Comparison, Condition, PropertyCondition, SegmentDefinition } from "./definition.js";
import type { SchemaContext } from "./schema-context.js";
import { formatPath, opOf, type SegmentIssue } from "./validate.js";

/**
 * Warnings about a valid definition that likely matches nobody by mistake (issue 15, item 11): an event property
 * no such event has (`devise = "mobile"`), or a value a low-cardinality trait, computed value or property never
 * takes (`country = "Germany"` where the data says `DE`). Warnings, not errors: a property or a value may simply
 * not have occurred yet. Each costs one bounded query: at most `HINTS.rows` rows are read per trait, computed value,
 * event name or property, and the distinct values listed stop past `HINTS.values`.
 */
export const HINTS = {
  /** Rows read per lookup (customers, a computed value's table, or events of one name). */
  rows: 100_000,
  /** A trait, computed value or property with more distinct values than this is not checked for values. */
  values: 50,
  /** An event with more distinct property names than this (in the rows read) is not checked for names. */
  keys: 1000,
  /** Values or names listed in a warning when none is close to the one written. */
  listed: 10,
} as const;

/** Text values compared for equality (eq, neq, in, not_in) at a path: a typo there silently matches nobody (or all). */
interface ValueUse {
  readonly values: readonly { readonly value: string; readonly path: string }[];
}

const EQUALITY = new Set(["eq", "neq", "in", "not_in"]);

function textValues(c: Comparison, path: readonly PropertyKey[]): ValueUse["values"] {
  const op = opOf(c);
  if (!EQUALITY.has(op)) return [];
  const raw = (c as Record<string, unknown>)[op];
  const list = Array.isArray(raw)
    ? raw.map((v, i) => [v, [...path, op, i]] as const)
    : [[raw, [...path, op]] as const];
  return list.flatMap(([v, p]) => (typeof v === "string" ? [{ value: v, path: formatPath(p) }] : []));
}

/** What a definition compares, gathered by subject. */
class Uses {
  readonly traits = new Map<string, ValueUse["values"][number][]>();
  /** Account traits (the id, read from the group events, is not looked at). */
  readonly accounts = new Map<string, ValueUse["values"][number][]>();
  readonly computed = new Map<string, ValueUse["values"][number][]>();
  /** event name ("*": any) → property name → where it is named, and the values it is compared with. */
  readonly properties = new Map<
    string,
    Map<string, { paths: string[]; values: ValueUse["values"][number][] }>
  >();

  constructor(private readonly schema: SchemaContext) {}

  condition(c: Condition, path: readonly PropertyKey[]): void {
    if ("all" in c) for (const [i, x] of c.all.entries()) this.condition(x, [...path, "all", i]);
    else if ("any" in c) for (const [i, x] of c.any.entries()) this.condition(x, [...path, "any", i]);
    else if ("not" in c) this.condition(c.not, [...path, "not"]);
    else if ("trait" in c) {
      if (this.schema.traits.get(c.trait) === "string") push(this.traits, c.trait, textValues(c, path));
    } else if ("account" in c) {
      if (c.account !== "account_id" && this.schema.accounts.get(c.account) === "string")
        push(this.accounts, c.account, textValues(c, path));
    } else if ("computed" in c) {
      if (this.schema.computed.get(c.computed)?.type === "string")
        push(this.computed, c.computed, textValues(c, path));
    } else if ("event" in c && c.where) this.property(c.event, c.where, [...path, "where"]);
  }

  private property(event: string, p: PropertyCondition, path: readonly PropertyKey[]): void {
    if ("all" in p) for (const [i, x] of p.all.entries()) this.property(event, x, [...path, "all", i]);
    else if ("any" in p) for (const [i, x] of p.any.entries()) this.property(event, x, [...path, "any", i]);
    else if ("not" in p) this.property(event, p.not, [...path, "not"]);
    else {
      const byName = this.properties.get(event) ?? new Map();
      this.properties.set(event, byName);
      const use = byName.get(p.property) ?? { paths: [], values: [] };
      byName.set(p.property, use);
      use.paths.push(formatPath([...path, "property"]));
      use.values.push(...textValues(p, path));
    }
  }
}

function push<T>(m: Map<string, T[]>, key: string, items: readonly T[]): void {
  if (items.length === 0) return;
  m.set(key, [...(m.get(key) ?? []), ...items]);
}

const n = (x: number) => sql.raw(String(x));
const quoted = (xs: readonly string[]) =>
  `${xs
    .slice(0, HINTS.listed)
    .map((x) => JSON.stringify(x))
    .join(", ")}${xs.length > HINTS.listed ? ", …" : ""}`;

/**
 * The distinct values of `value` over at most `HINTS.rows` rows of `from` where it is present, with whether those
 * were all the rows (a full sample says "in the first …"); undefined when there are more than `limit` of them.
 */
async function distinctSample(
  engine: Engine,
  value: Sql,
  from: Sql,
  limit: number,
): Promise<{ values: string[]; rows: number } | undefined> {
  const r = await engine.query(
    sql`SELECT v, count(*) AS n FROM (SELECT ${value} AS v FROM ${from} LIMIT ${n(HINTS.rows)}) s
        WHERE v IS NOT NULL GROUP BY v ORDER BY v LIMIT ${n(limit + 1)}`,
  );
  if (r.rowCount > limit) return undefined;
  const rows = r.rows<{ v: unknown; n: unknown }>();
  return { values: rows.map((x) => String(x.v)), rows: rows.reduce((a, x) => a + Number(x.n), 0) };
}

/** The warning for values a subject never takes in the rows read (none when all occur). */
function valueWarnings(
  what: string,
  seen: { values: string[]; rows: number },
  uses: readonly ValueUse["values"][number][],
  rowsWhat: string,
): SegmentIssue[] {
  const known = new Set(seen.values);
  const out: SegmentIssue[] = [];
  for (const u of uses) {
    if (known.has(u.value)) continue;
    const near = nearest(u.value, seen.values);
    const hint =
      near !== undefined
        ? ` (did you mean ${JSON.stringify(near)}?)`
        : seen.values.length > 0
          ? ` (its values: ${quoted(seen.values)})`
          : "";
    const where =
      seen.rows >= HINTS.rows ? ` in the first ${HINTS.rows.toLocaleString("en-US")} ${rowsWhat}` : "";
    out.push({
      path: u.path,
      message: `${what} never takes the value ${JSON.stringify(u.value)}${where}${hint}`,
    });
  }
  return out;
}

/** The events of one name (any name for `*`) whose properties are read. */
function eventsOf(event: string): Sql {
  return event === "*"
    ? sql`events WHERE properties IS NOT NULL`
    : sql`events WHERE event = ${sql.param(event, "string")} AND properties IS NOT NULL`;
}

/**
 * Warnings (not errors) about a validated definition: event property names no such event has, and values of
 * low-cardinality text traits, account traits, computed values and properties that never occur, each with the
 * nearest known one ("did you mean") or, when none is near, the known ones: the traits', then the account traits',
 * the computed values', then the properties'.
 */
export async function definitionWarnings(
  engine: Engine,
  def: SegmentDefinition,
  schema: SchemaContext,
): Promise<SegmentIssue[]> {
  const uses = new Uses(schema);
  uses.condition(def.where, ["where"]);
  const d = engine.dialect;
  const out: SegmentIssue[] = [];
  for (const [trait, values] of uses.traits) {
    const seen = await distinctSample(engine, sql.ident(trait), sql`customers`, HINTS.values);
    if (seen) out.push(...valueWarnings(`trait ${trait}`, seen, values, "customers"));
  }
  for (const [trait, values] of uses.accounts) {
    const seen = await distinctSample(engine, sql.ident(trait), sql`accounts`, HINTS.values);
    if (seen) out.push(...valueWarnings(`account trait ${trait}`, seen, values, "accounts"));
  }
  for (const [name, values] of uses.computed) {
    const src = schema.computed.get(name);
    if (!src) continue;
    const seen = await distinctSample(engine, sql.ident(src.column), sql.ident(src.table), HINTS.values);
    if (seen) out.push(...valueWarnings(`computed ${name}`, seen, values, "rows"));
  }
  for (const [event, props] of uses.properties) {
    const events = event === "*" ? "events" : `"${event}" events`;
    const keys = await distinctSample(engine, d.jsonKeys(sql`properties`), eventsOf(event), HINTS.keys);
    for (const [prop, use] of props) {
      if (keys && keys.rows > 0 && !keys.values.includes(prop)) {
        const near = nearest(prop, keys.values);
        const hint =
          near !== undefined ? ` (did you mean "${near}"?)` : ` (their properties: ${quoted(keys.values)})`;
        const where = keys.rows >= HINTS.rows ? ` in the first ${HINTS.rows.toLocaleString("en-US")}` : "";
        const subject = event === "*" ? `no event${where}` : `no "${event}" event${where}`;
        for (const path of use.paths)
          out.push({ path, message: `${subject} has a property "${prop}"${hint}` });
        continue;
      }
      if (use.values.length === 0) continue;
      const value = d.jsonTextAtPath(sql`properties`, sql.param(d.jsonKeyPath(prop), "string"));
      const seen = await distinctSample(engine, value, eventsOf(event), HINTS.values);
      if (seen) out.push(...valueWarnings(`property ${prop} of ${events}`, seen, use.values, "events"));
    }
  }
  return out;
}
