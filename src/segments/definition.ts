import { z } from "zod";
import { numberProblem } from "./limits.js";

/**
 * The segment definition language (DESIGN.md, "Segment definition language"): one zod schema is the type, the
 * validator of the JSON form, and the documentation. Semantic checks (names, types, cycles) are in validate.ts.
 */

/** A relative date for trait comparisons: `{"ago": "30d"}` is the as-of time minus 30 days. */
export const AgoSchema = z.strictObject({ ago: z.string() });
export type Ago = z.infer<typeof AgoSchema>;

export type Scalar = string | number | boolean | Ago;

/** A value as a message names it, without printing it whole (it may be a large or deeply nested document). */
function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object")
    return `an object with keys ${Object.keys(v).slice(0, 5).join(", ") || "(none)"}`;
  return typeof v;
}

/**
 * A value compared with: text, a number (finite, within ±2^53 − 1: `numberProblem`), a boolean or `{"ago": …}`.
 * Checked by hand rather than as a union, whose refusal says only "Invalid input": the message names the cause.
 */
export const ScalarSchema: z.ZodType<Scalar> = z.custom<Scalar>().superRefine((v, ctx) => {
  if (typeof v === "string" || typeof v === "boolean") return;
  const why =
    typeof v === "number"
      ? numberProblem(v)
      : typeof v === "object" && v !== null && !Array.isArray(v)
        ? AgoSchema.safeParse(v).success
          ? undefined
          : "ago" in v
            ? `{"ago": …} takes a duration such as "30d" and nothing else`
            : `expected a value or {"ago": "30d"}, found ${kindOf(v)}`
        : `expected a value (text, a number, true, false or {"ago": "30d"}), found ${kindOf(v)}`;
  if (why !== undefined) ctx.addIssue({ code: "custom", message: why });
});

export const COMPARISON_OPS = [
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
] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

const comparisonShape = {
  eq: ScalarSchema.optional(),
  neq: ScalarSchema.optional(),
  gt: ScalarSchema.optional(),
  gte: ScalarSchema.optional(),
  lt: ScalarSchema.optional(),
  lte: ScalarSchema.optional(),
  in: z.array(ScalarSchema).min(1, '"in" needs at least one value').optional(),
  not_in: z.array(ScalarSchema).min(1, '"not_in" needs at least one value').optional(),
  between: z
    .tuple([ScalarSchema, ScalarSchema], { error: '"between" takes two values: [low, high]' })
    .optional(),
  contains: z.string().optional(),
  starts_with: z.string().optional(),
  exists: z.boolean().optional(),
};

/** Exactly one comparison operator per leaf. */
function exactlyOneComparison(value: Record<string, unknown>, ctx: z.core.$RefinementCtx): void {
  const ops = COMPARISON_OPS.filter((op) => value[op] !== undefined);
  if (ops.length !== 1) {
    ctx.addIssue({
      code: "custom",
      message:
        ops.length === 0
          ? `needs one comparison (${COMPARISON_OPS.join(", ")})`
          : `has ${ops.length} comparisons (${ops.join(", ")}); use exactly one, or combine leaves with "all"`,
    });
  }
}

export const ComparisonSchema = z.strictObject(comparisonShape).superRefine(exactlyOneComparison);
export type Comparison = z.infer<typeof ComparisonSchema>;

/** "<n>d" | "<n>w" | "<n>m" | "<n>y", or an absolute range of ISO dates (both inclusive). */
export const WindowSchema = z.union([z.string(), z.strictObject({ from: z.string(), to: z.string() })], {
  error: 'expected a window: "30d", "2w", "6m", "1y" or {"from": "2024-01-01", "to": "2024-03-31"}',
});
export type Window = z.infer<typeof WindowSchema>;

export const EVENT_TYPES = ["track", "page", "screen", "identify", "group", "alias"] as const;
export const ORDER_AGGREGATES = [
  "count",
  "sum",
  "avg",
  "min",
  "max",
  "days_since_last",
  "days_since_first",
] as const;
export type OrderAggregate = (typeof ORDER_AGGREGATES)[number];
export const ORDER_MEASURES = ["total", "quantity"] as const;

export const TraitSchema = z
  .strictObject({ trait: z.string().min(1), ...comparisonShape })
  .superRefine(exactlyOneComparison);
export type TraitLeaf = z.infer<typeof TraitSchema>;

export const ComputedSchema = z
  .strictObject({ computed: z.string().min(1), ...comparisonShape })
  .superRefine(exactlyOneComparison);
export type ComputedLeaf = z.infer<typeof ComputedSchema>;

/**
 * An account trait (B2B): true when some account the person belongs to (a group call linked them, by the as-of
 * time) has the trait satisfying the comparison; false without an account (two-valued logic, as every leaf).
 */
export const AccountSchema = z
  .strictObject({ account: z.string().min(1), ...comparisonShape })
  .superRefine(exactlyOneComparison);
export type AccountLeaf = z.infer<typeof AccountSchema>;

export const PropertySchema = z
  .strictObject({ property: z.string().min(1), ...comparisonShape })
  .superRefine(exactlyOneComparison);
export type PropertyLeaf = z.infer<typeof PropertySchema>;

export type PropertyCondition =
  | PropertyLeaf
  | { all: PropertyCondition[] }
  | { any: PropertyCondition[] }
  | { not: PropertyCondition };

export const PropertyConditionSchema: z.ZodType<PropertyCondition> = z.lazy(() =>
  z.union([
    PropertySchema,
    z.strictObject({ all: z.array(PropertyConditionSchema).min(1) }),
    z.strictObject({ any: z.array(PropertyConditionSchema).min(1) }),
    z.strictObject({ not: PropertyConditionSchema }),
  ]),
);

export const EventSchema = z.strictObject({
  event: z.string().min(1),
  type: z.enum(EVENT_TYPES).optional(),
  within: WindowSchema.optional(),
  hour: ComparisonSchema.optional(),
  weekday: ComparisonSchema.optional(),
  where: PropertyConditionSchema.optional(),
  count: ComparisonSchema.optional(),
});
export type EventLeaf = z.infer<typeof EventSchema>;

export const OrdersSchema = z
  .strictObject({
    orders: z.enum(ORDER_AGGREGATES),
    of: z.enum(ORDER_MEASURES).optional(),
    within: WindowSchema.optional(),
    category: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    ...comparisonShape,
  })
  .superRefine(exactlyOneComparison);
export type OrdersLeaf = z.infer<typeof OrdersSchema>;

export const SegmentRefSchema = z.strictObject({ segment: z.string().min(1) });
export type SegmentRefLeaf = z.infer<typeof SegmentRefSchema>;

export const ConsentSchema = z.strictObject({
  consent: z.string().min(1),
  channel: z.string().min(1).optional(),
});
export type ConsentLeaf = z.infer<typeof ConsentSchema>;

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | TraitLeaf
  | EventLeaf
  | OrdersLeaf
  | SegmentRefLeaf
  | ConsentLeaf
  | ComputedLeaf
  | AccountLeaf;

/**
 * A condition is recognised by its distinguishing key, so an error names the leaf the user meant instead of
 * listing every alternative of a union.
 */
const LEAF_SCHEMAS: readonly (readonly [string, z.ZodType])[] = [
  ["trait", TraitSchema],
  ["event", EventSchema],
  ["orders", OrdersSchema],
  ["segment", SegmentRefSchema],
  ["consent", ConsentSchema],
  ["computed", ComputedSchema],
  ["account", AccountSchema],
];

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.custom<Condition>().superRefine((value, ctx) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: "custom", message: "a condition is an object" });
      return;
    }
    const v = value as Record<string, unknown>;
    const groups = [
      ["all", z.strictObject({ all: z.array(ConditionSchema).min(1, '"all" needs at least one condition') })],
      ["any", z.strictObject({ any: z.array(ConditionSchema).min(1, '"any" needs at least one condition') })],
      ["not", z.strictObject({ not: ConditionSchema })],
    ] as const;
    const match = [...groups, ...LEAF_SCHEMAS].find(([key]) => key in v);
    if (!match) {
      ctx.addIssue({
        code: "custom",
        message: `unknown condition with keys ${Object.keys(v).join(", ") || "(none)"}; expected one of all, any, not, trait, event, orders, segment, consent, computed, account`,
      });
      return;
    }
    const r = (match[1] as z.ZodType).safeParse(value);
    if (!r.success) for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
  }),
);

export const SEGMENT_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const SegmentSchema = z.strictObject({
  id: z
    .string()
    .regex(SEGMENT_ID, "lower-case letters, digits, - and _ (at most 64), starting with a letter or digit"),
  // Shown in tables, dashboards and campaign tools: one line of readable text, not a document.
  name: z
    .string()
    .min(1)
    .max(200, "at most 200 characters")
    .refine((n) => !/\p{Cc}/u.test(n), {
      message: "must not hold control characters (tabs, line breaks, NUL)",
    }),
  description: z
    .string()
    .max(2000, "at most 2,000 characters")
    .refine((n) => !/(?![\t\n\r])\p{Cc}/u.test(n), {
      message: "must not hold control characters (line breaks and tabs are allowed)",
    })
    .optional(),
  where: ConditionSchema,
});
export type SegmentDefinition = z.infer<typeof SegmentSchema>;

/**
 * JSON text with every object's keys in one order (code-unit order, not the locale's), arrays kept in theirs:
 * equal values get equal texts whatever order their keys were written in.
 */
export function sortedKeysJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** An event leaf's count when none is given (DESIGN.md: "count" defaults to {"gte": 1}). */
const DEFAULT_EVENT_COUNT = sortedKeysJson({ gte: 1 });

/** A condition with the defaults the language gives left out, so a default spelled out reads as one left out. */
function withoutDefaults(c: Condition): Condition {
  if ("all" in c) return { all: c.all.map(withoutDefaults) };
  if ("any" in c) return { any: c.any.map(withoutDefaults) };
  if ("not" in c) return { not: withoutDefaults(c.not) };
  if ("event" in c && c.count !== undefined && sortedKeysJson(c.count) === DEFAULT_EVENT_COUNT) {
    const { count: _, ...rest } = c;
    return rest;
  }
  if ("orders" in c && c.of === "total") {
    const { of: _, ...rest } = c;
    return rest;
  }
  return c;
}

/**
 * The canonical form of a definition, as text: keys in one order, and the language's defaults (an event's
 * `"count": {"gte": 1}`, an orders leaf's `"of": "total"`) left out whether spelled out or not. Two documents
 * that differ only in those ways have the same canonical form: saving one after the other is no new version.
 * The order of `all`/`any` items and of `in` lists is kept: it is how the definition reads (explain's funnel
 * follows `all`), so a change of it is a change.
 */
export function canonicalDefinition(def: SegmentDefinition): string {
  return sortedKeysJson({ ...def, where: withoutDefaults(def.where) });
}
