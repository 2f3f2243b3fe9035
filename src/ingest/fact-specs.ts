import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { CANONICAL } from "./canonical-fields.js";
import type { ColumnPlan } from "./column-plan.js";
import type { ImportKind } from "./import-types.js";
import { STAGE_TABLE } from "./validate.js";

/** The kinds whose rows become rows of a fact table (customers and accounts are profiles: a later row updates them). */
export type FactKind = Exclude<ImportKind, "customers" | "accounts">;

/**
 * How staged rows become rows of a fact table, what makes two rows the same fact (the key), and what makes them
 * identical (the content): a row whose key is stored, or repeated in the source, with the same content is already
 * present; with a different content it is a conflict (conflicts.ts).
 */
export interface FactSpec {
  readonly table: string;
  /** What one row is, in messages: "event", "order", "order line". */
  readonly noun: string;
  /** Target column → SQL over the stage `s` and the row's customer `rc` (window functions allowed). */
  readonly columns: readonly (readonly [string, Sql])[];
  /** Joined after `FROM <rows> s` wherever the columns are computed (what the column expressions need besides). */
  readonly join: Sql;
  /** Columns that identify a fact. */
  readonly key: readonly string[];
  /** The canonical field a conflict is reported on (the reject file's `field`). */
  readonly field: string;
  /** SQL text naming a key, over a relation `a` holding the key columns: `order_id A1`, `order A1 line 2`. */
  keyText(a: string): Sql;
  /**
   * Columns whose values must all agree (NULLs equal) for two rows of one key to be identical: every stored column
   * but the key and the resolved customer (which identity merges may change after the fact is stored).
   */
  readonly content: readonly string[];
  /** Canonical field → the stored column showing its value, for the stored version of a conflict. */
  readonly shownAs: ReadonlyMap<string, string>;
  /** The key cannot repeat within one source (it includes a per-source ordinal), so no need to look. */
  readonly uniqueInFile?: boolean;
  /** The key is derived from the row's whole content (a source without ids): one key, one content. */
  readonly keyFromContent?: boolean;
  /**
   * A column to store the new rows in order of. Events go in time order: DuckDB keeps min/max per row group, so
   * a scan of a time range (a segment refresh's window bands) then reads only the row groups of that range.
   */
  readonly orderBy?: string;
}

/** The resolved customer of a staged row (only after identity resolution; never part of a fact's content). */
export const RESOLVED_CUSTOMER = sql`s._customer_id`;

/** An extra column of the stage. */
export const extra = (name: string): Sql => sql`s.${sql.ident(`x_${name}`)}`;

/** SQL: the extra columns of a row as a JSON object merged over its `properties` (if the kind has one). */
function propertiesOf(engine: Engine, plan: ColumnPlan, base: Sql | null): Sql {
  const d = engine.dialect;
  const extras = d.jsonObject(plan.extras.map((x) => [x.name, extra(x.name)] as const));
  if (plan.extras.length === 0) return base === null ? sql`NULL` : base;
  const only = plan.extras[0];
  if (base === null && plan.extras.length === 1 && only) {
    // One extra column (Online Retail's Country): no merge needed, and an empty cell stores no object.
    return sql`CASE WHEN ${extra(only.name)} IS NULL THEN NULL ELSE ${extras} END`;
  }
  return d.jsonMergePatch(base === null ? sql`'{}'` : sql`coalesce(${base}, '{}')`, extras);
}

/**
 * SQL: an id derived from a row's content, for sources without one: a hash of every value, plus the row's
 * ordinal among identical rows, so that identical rows stay distinct facts and a re-import finds them again.
 */
function contentId(engine: Engine, kind: ImportKind, plan: ColumnPlan, skip: string): Sql {
  const d = engine.dialect;
  const parts = [
    ...CANONICAL[kind].filter((f) => f.name !== skip).map((f) => sql`s.${sql.ident(f.name)}`),
    ...plan.extras.map((x) => extra(x.name)),
  ].map((e) => sql`coalesce(${d.toText(e)}, '')`);
  const content = d.hash(sql`concat_ws('|', ${sql.join(parts)})`);
  // The ordinal is a whole number: a plain cast writes it alike on every engine (toText is for any value).
  return sql`${content} || '-' || ${d.cast(sql`row_number() OVER (PARTITION BY ${content} ORDER BY s._row)`, "string")}`;
}

/** Content columns: every column but the key and the resolved customer. */
function contentOf(columns: readonly (readonly [string, Sql])[], key: readonly string[]): string[] {
  return columns.map(([c]) => c).filter((c) => c !== "customer_id" && !key.includes(c));
}

/** The fact a kind of row becomes. */
export function factSpecOf(engine: Engine, kind: FactKind, plan: ColumnPlan): FactSpec {
  const d = engine.dialect;
  const ident = sql.ident;
  const col = (a: string, c: string): Sql => sql`${sql.raw(a)}.${ident(c)}`;
  const spec = (
    s: Omit<FactSpec, "content" | "join" | "shownAs" | "field" | "keyText"> &
      Partial<Pick<FactSpec, "join" | "keyText">> & { shownAs?: Record<string, string> },
  ): FactSpec => {
    const field = s.key[0] as string;
    return {
      ...s,
      field,
      join: s.join ?? sql.empty,
      keyText:
        s.keyText ??
        ((a) => sql`${sql.raw(d.literal(`${field} `))} || coalesce(${col(a, field)}, '(empty)')`),
      content: contentOf(s.columns, s.key),
      shownAs: new Map(Object.entries(s.shownAs ?? {})),
    };
  };
  switch (kind) {
    case "events": {
      const given = plan.fields.has("message_id");
      return spec({
        table: "events",
        noun: "event",
        uniqueInFile: !given, // derived ids carry their ordinal among identical rows
        keyFromContent: !given,
        columns: [
          ["message_id", given ? sql`s.message_id` : contentId(engine, "events", plan, "message_id")],
          ["customer_id", RESOLVED_CUSTOMER],
          ["user_id", sql`coalesce(s.user_id, s.customer_id)`],
          ["anonymous_id", sql`s.anonymous_id`],
          ["type", sql`s.type`],
          ["event", sql`s.event`],
          ["ts", sql`s.timestamp`],
          ["properties", propertiesOf(engine, plan, sql`s.properties`)],
        ],
        key: ["message_id"],
        orderBy: "ts",
        shownAs: {
          message_id: "message_id",
          user_id: "user_id",
          customer_id: "user_id",
          anonymous_id: "anonymous_id",
          type: "type",
          event: "event",
          timestamp: "ts",
          properties: "properties",
        },
      });
    }
    case "orders": {
      const given = plan.fields.has("order_id");
      return spec({
        table: "orders",
        noun: "order",
        uniqueInFile: !given,
        keyFromContent: !given,
        columns: [
          ["order_id", given ? sql`s.order_id` : contentId(engine, "orders", plan, "order_id")],
          ["customer_id", RESOLVED_CUSTOMER],
          ["source_customer_id", sql`s.customer_id`],
          ["ts", sql`s.timestamp`],
          ["total", sql`s.total`],
          ["returned", sql`0`],
          ["currency", sql`s.currency`],
          ["properties", propertiesOf(engine, plan, null)],
        ],
        key: ["order_id"],
        shownAs: {
          order_id: "order_id",
          customer_id: "source_customer_id",
          timestamp: "ts",
          total: "total",
          currency: "currency",
        },
      });
    }
    case "order-lines":
      return spec({
        table: "order_items",
        noun: "order line",
        columns: [
          ["order_id", sql`s.order_id`],
          // The line's place in its order, counted from the order's first row in the source (rejected rows
          // included, so that neither a rejected line nor a conflicting one renumbers the others): 1, 2, 3 … when
          // an order's lines are together (as exports write them), and unique and repeatable however they are
          // spread — without the sort a row_number() would need.
          ["line_no", sql`s._row - f._first_row + 1`],
          ["customer_id", RESOLVED_CUSTOMER],
          ["source_customer_id", sql`s.customer_id`],
          ["ts", sql`s.timestamp`],
          ["sku", sql`s.sku`],
          ["category", sql`s.category`],
          ["description", sql`s.description`],
          ["quantity", sql`s.quantity`],
          ["unit_price", sql`s.unit_price`],
          ["currency", sql`s.currency`],
          ["properties", propertiesOf(engine, plan, null)],
        ],
        join: sql` JOIN (SELECT order_id AS _first_order, min(_row) AS _first_row FROM ${STAGE_TABLE} GROUP BY order_id) f
                     ON f._first_order = s.order_id`,
        key: ["order_id", "line_no"],
        keyText: (a) =>
          sql`'order ' || ${col(a, "order_id")} || ' line ' || ${d.cast(col(a, "line_no"), "string")}`,
        uniqueInFile: true,
        shownAs: {
          order_id: "order_id",
          customer_id: "source_customer_id",
          timestamp: "ts",
          sku: "sku",
          category: "category",
          description: "description",
          quantity: "quantity",
          unit_price: "unit_price",
          currency: "currency",
        },
      });
    case "consents":
      // Keyed by their whole content: a different record is a new one, never a conflict.
      return spec({
        table: "consents",
        noun: "consent record",
        columns: [
          ["customer_id", RESOLVED_CUSTOMER],
          ["source_customer_id", sql`s.customer_id`],
          ["purpose", sql`lower(s.purpose)`],
          ["channel", sql`lower(s.channel)`],
          ["status", sql`s.status`],
          ["source", sql`s.source`],
          ["ts", sql`s.timestamp`],
        ],
        key: ["customer_id", "purpose", "channel", "status", "source", "ts"],
      });
    case "survey-responses":
      return spec({
        table: "survey_responses",
        noun: "survey answer",
        columns: [
          ["customer_id", RESOLVED_CUSTOMER],
          ["source_customer_id", sql`s.customer_id`],
          ["survey", sql`s.survey`],
          ["question", sql`s.question`],
          ["answer", sql`s.answer`],
          ["ts", sql`s.timestamp`],
        ],
        key: ["customer_id", "survey", "question", "answer", "ts"],
      });
  }
}

/**
 * Whether two rows of one key can differ: not when the key is the whole content (consents, answers) or derived
 * from it (ids derived for a source without them).
 */
export function canConflict(spec: FactSpec): boolean {
  return !spec.keyFromContent && !spec.key.includes("customer_id");
}
