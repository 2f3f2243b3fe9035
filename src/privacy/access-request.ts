import type { Condition } from "../segments/definition.js";
import { type ConditionReason, personReasons } from "../segments/person-reasons.js";
import { loadSchemaContext } from "../segments/schema-context.js";
import { lastRefresh, STORED_FEATURES, storedFeatureLabels } from "../segments/segment-refresh.js";
import { currentMembershipSql } from "../segments/segment-store.js";
import { printComparison, printCondition } from "../segments/text/print.js";
import { SavedSegmentError, savedDefinition } from "../segments/validate.js";
import { customerTables } from "../store/customer-tables.js";
import { DATA_MODEL, describeTable } from "../store/data-model.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { type ConsentState, consentHistory } from "./consent-ledger.js";
import { keyringToRead, personalColumns, sealedContext } from "./encryption.js";
import { isSealed, open } from "./field-crypto.js";
import type { Person } from "./person.js";

/**
 * An access request (issue 17, item 5; GDPR art. 15): everything Tessera holds about one person, and for each
 * segment they are in, why — the conditions of its definition they meet, with their own values.
 *
 * What is held is read from every table of the data model that refers to a person (`customerTables`: the profile,
 * identifiers, events, orders and lines, consents, survey answers, suppressions, segment stays, stored features,
 * computed values such as RFM and CLV, cluster assignments), so a table added to the model later is in the answer
 * without a change here. A row belongs to the person when any of the table's person columns holds their id.
 */

/** A value as it leaves: JSON's types (times as ISO text, whole numbers from big integers). */
export type HeldValue = string | number | boolean | null;
export type HeldRow = Readonly<Record<string, HeldValue>>;

/** The rows of one table that are about the person. */
export interface HeldTable {
  readonly table: string;
  /** What people call its rows ("Orders"). */
  readonly label: string;
  /** What the table is for: profile, identity, fact, ledger, derived… (src/store/data-model.ts). */
  readonly role: string;
  readonly columns: readonly string[];
  /**
   * What a column holds, where its name does not say: the stored segment features (`f3`:
   * `orders.sum(total, 365d)`), as the refresh that built them wrote it.
   */
  readonly labels?: Readonly<Record<string, string>>;
  readonly rows: readonly HeldRow[];
}

/** A condition with the person's own value in words: `orders.sum(total, 365d) = 812.40 ≥ 500`. */
export interface ExplainedCondition extends Omit<ConditionReason, "children"> {
  /** The condition with the person's value, for people; for groups, what held. */
  readonly reason: string;
  readonly children?: readonly ExplainedCondition[];
}

/** A segment the person is in, and why. */
export interface SegmentStay {
  readonly id: string;
  readonly name: string;
  /** Since when (the refresh that let them in). */
  readonly since: string;
  /**
   * The definition's conditions evaluated for the person as of the last refresh; null when the saved definition
   * can no longer be evaluated (`note` says why).
   */
  readonly why: ExplainedCondition | null;
  readonly note?: string;
}

export interface AccessReport {
  readonly customerId: string;
  /** How the request named the person. */
  readonly namedBy: string;
  readonly generatedAt: string;
  /** The as-of time of the last refresh, which segment membership and its reasons are as of. */
  readonly segmentsAsOf: string | null;
  /** Every table that refers to a person, the profile first, with the person's rows (empty ones included). */
  readonly tables: readonly HeldTable[];
  /** What the consent records amount to now, per purpose and channel (as the consent gate reads them). */
  readonly consent: readonly ConsentState[];
  readonly segments: readonly SegmentStay[];
}

/** Builds the access report of a person `resolvePerson` found. */
export async function accessReport(engine: Engine, person: Person, now = new Date()): Promise<AccessReport> {
  const id = person.customerId;
  const tables: HeldTable[] = [];
  // The profile (customers) first, then every other table that refers to a person, as the model lists them.
  const profiles = DATA_MODEL.filter((t) => t.role === "profile" && t.customer !== null).map((t) => ({
    table: t.name as string,
    role: t.role as string,
    column: t.customer?.column as string,
    otherColumns: t.customer?.otherColumns ?? [],
  }));
  // In an encrypted database the profile's personal values are opened for the person (their own data: the export is
  // recorded as a read of people); identities of email and phone stay their blind index, which names nothing.
  const keyring = await keyringToRead(engine);
  const sealed = new Set(keyring ? await personalColumns(engine) : []);
  const shown = (table: string, column: string, value: unknown): unknown =>
    keyring && table === "customers" && sealed.has(column) && typeof value === "string" && isSealed(value)
      ? open(keyring, value, sealedContext(column))
      : value;
  for (const t of [...profiles, ...(await customerTables(engine))]) {
    const columns = await engine.tableColumns(t.table);
    const time = describeTable(t.table)?.time;
    const match = sql.join(
      [t.column, ...t.otherColumns].map((c) => sql`${sql.ident(c)} = ${id}`),
      " OR ",
    );
    const order = time && columns.includes(time) ? sql` ORDER BY ${sql.ident(time)}` : sql.empty;
    const r = await engine.query(sql`SELECT * FROM ${sql.ident(t.table)} WHERE ${match}${order}`);
    const labels = t.table === STORED_FEATURES ? await storedFeatureLabels(engine) : {};
    const named = columns.filter((c) => c in labels);
    tables.push({
      table: t.table,
      label: describeTable(t.table)?.label ?? `Computed values (${t.table})`,
      role: t.role,
      columns,
      ...(named.length ? { labels: Object.fromEntries(named.map((c) => [c, labels[c] as string])) } : {}),
      rows: r
        .rows<Record<string, unknown>>()
        .map((row) => Object.fromEntries(columns.map((c) => [c, heldValue(shown(t.table, c, row[c]))]))),
    });
  }
  const asOf = await lastRefresh(engine);
  return {
    customerId: id,
    namedBy: person.namedBy,
    generatedAt: now.toISOString(),
    segmentsAsOf: asOf?.toISOString() ?? null,
    tables,
    consent: (await consentHistory(engine, id, now)).current,
    segments: asOf ? await segmentStays(engine, id, asOf) : [],
  };
}

/**
 * The segments the person is in now (the open stays of segments whose latest version the last refresh evaluated)
 * and, for each, its conditions evaluated for them as of that refresh.
 */
async function segmentStays(engine: Engine, customerId: string, asOf: Date): Promise<SegmentStay[]> {
  const r = await engine.query(
    sql`SELECT m.segment_id AS segment_id, m.segment_name AS segment_name, min(s.entered_at) AS since
          FROM (${currentMembershipSql()}) m
          JOIN segment_membership s ON s.segment_id = m.segment_id AND s.customer_id = m.customer_id AND s.exited_at IS NULL
         WHERE m.customer_id = ${customerId}
         GROUP BY m.segment_id, m.segment_name ORDER BY m.segment_id`,
  );
  const stays = r.rows<{ segment_id: string; segment_name: string; since: Date }>();
  if (stays.length === 0) return [];
  const schema = await loadSchemaContext(engine, { events: false });
  // A saved definition that names something gone since it was saved cannot be evaluated: said, not fatal.
  const notes = new Map<string, string>();
  const definitions = stays.flatMap((s) => {
    try {
      return [savedDefinition(schema, s.segment_id)];
    } catch (e) {
      if (!(e instanceof SavedSegmentError)) throw e;
      notes.set(s.segment_id, e.message);
      return [];
    }
  });
  const reasons = definitions.length
    ? await personReasons(engine, customerId, definitions, schema, asOf)
    : null;
  return stays.map((s) => {
    const why = reasons?.get(s.segment_id);
    const note = notes.get(s.segment_id);
    return {
      id: s.segment_id,
      name: s.segment_name,
      since: s.since.toISOString(),
      why: why ? explain(why) : null,
      ...(note ? { note } : {}),
    };
  });
}

/** Adds to each condition the words that say what held, with the person's own value. */
function explain(c: ConditionReason): ExplainedCondition {
  const { children, ...rest } = c;
  const kids = children?.map(explain);
  return { ...rest, reason: reasonText(c), ...(kids ? { children: kids } : {}) };
}

/**
 * A condition in words for people: a leaf with its subject's value (`orders.sum(total, 365d) = 812.40 ≥ 500`,
 * `country = "DE" in ("DE", "FR")`, `country = "FR", not = "DE"` when it does not hold, `consent("marketing",
 * "email"): granted`); a group says how many of its items held.
 */
export function reasonText(c: ConditionReason): string {
  if (c.kind === "all" || c.kind === "any") {
    const held = c.children?.filter((x) => x.met).length ?? 0;
    return `${c.kind} of ${c.children?.length ?? 0}: ${held} held`;
  }
  if (c.kind === "not")
    return `not (${c.children?.[0]?.condition ?? ""}): ${c.met ? "it does not hold" : "it holds"}`;
  if (c.kind === "segment") return `${c.condition}: ${c.met ? "in it" : "not in it"}`;
  const where = c.where;
  if (where && "consent" in where) return `${c.condition}: ${c.value ? "granted" : "not granted"}`;
  if (!where || c.value === undefined) return `${c.condition}: ${c.met ? "holds" : "does not hold"}`;
  const { subject, comparison } = subjectAndComparison(where);
  const cmp = comparison.replace(/^>=/, "≥").replace(/^<=/, "≤").replace(/^!=/, "≠");
  return `${subject} = ${showValue(where, c.value)}${c.met ? " " : ", not "}${cmp}`;
}

/** Splits a leaf's text form into what it compares and how: `orders.sum(total, 365d)` and `>= 500`. */
function subjectAndComparison(leaf: Condition): { subject: string; comparison: string } {
  const text = printCondition(leaf);
  if ("event" in leaf && !leaf.count) {
    // `has(event "X", 30d)` compares the count with ≥ 1.
    return { subject: `count${text.slice("has".length)}`, comparison: ">= 1" };
  }
  const cmp =
    "event" in leaf && leaf.count
      ? printComparison(leaf.count)
      : printComparison(leaf as Parameters<typeof printComparison>[0]);
  return text.endsWith(` ${cmp}`)
    ? { subject: text.slice(0, -cmp.length - 1), comparison: cmp }
    : { subject: text, comparison: "" };
}

/** A value as people read it: money with two decimals, missing as "(none)", text quoted as the language writes it. */
function showValue(leaf: Condition, v: string | number | boolean | null): string {
  if (v === null) return "(none)";
  const money =
    "orders" in leaf &&
    (leaf.of ?? "total") === "total" &&
    ["sum", "avg", "min", "max"].includes(leaf.orders);
  if (typeof v === "number") return money ? v.toFixed(2) : String(v);
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** A database value as JSON carries it. */
function heldValue(v: unknown): HeldValue {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}
