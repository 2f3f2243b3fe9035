import { didYouMean } from "../common/did-you-mean.js";
import { parseDuration, type Unit } from "../common/duration.js";
import { UserError } from "../errors.js";
import type { ComputedValue } from "../store/computed.js";
import type { Trait } from "../store/trait-registry.js";

/**
 * The feature vocabulary: what a clustering (or a persona) may be computed from, by name.
 *
 *   trait:<name>                        a trait: numbers as they are, text and booleans as categories, dates as
 *                                       days since; a bare <name> means a trait (or else a computed value)
 *   computed:<name>                     a computed value (RFM score, CLV, …) from the registry
 *   orders.count[:<window>]             orders (0 without any); also orders.revenue, orders.aov (average)
 *   orders.days_since_last              days since the last (first) order; missing without orders
 *   orders.category_share:<category>    share of the customer's spend (order lines) in a category
 *   orders.category_mix                 one share per category (the most bought ones)
 *   events.count[:<event>][:<window>]   events (all kinds when no name)
 *   events.mobile_share                 share of the customer's activity on a mobile device
 *   events.<device|channel|category>_share:<value>, events.<device|channel|category>_mix
 *   events.favourite_hour               the customer's typical hour of activity (circular mean, UTC)
 *
 * Windows are <n>d, <n>w, <n>m or <n>y before the as-of time. "Activity" means events that carry a `device`
 * property: the customer's own sessions, not server-side sends such as "Email Sent".
 */
export type FeatureSpec =
  | { readonly kind: "trait"; readonly id: string; readonly name: string; readonly value: ValueKind }
  | {
      readonly kind: "computed";
      readonly id: string;
      readonly name: string;
      readonly value: ValueKind;
      readonly table: string;
      readonly column: string;
    }
  | {
      readonly kind: "orders";
      readonly id: string;
      readonly measure: OrderMeasure;
      readonly window?: Duration;
    }
  | { readonly kind: "order-category"; readonly id: string; readonly category: string | null }
  | {
      readonly kind: "events";
      readonly id: string;
      readonly event: string | null;
      readonly window?: Duration;
    }
  | {
      readonly kind: "share";
      readonly id: string;
      readonly property: ShareProperty;
      readonly value: string | null;
    }
  | { readonly kind: "hour"; readonly id: string };

export type ValueKind = "numeric" | "categorical" | "date";
export type OrderMeasure = "count" | "revenue" | "aov" | "days_since_last" | "days_since_first";
export type ShareProperty = "device" | "channel" | "category";
export interface Duration {
  readonly n: number;
  readonly unit: Unit;
}

/** What features may name: the trait registry and the computed values. */
export interface FeatureSchema {
  readonly traits: readonly Trait[];
  readonly computed: readonly ComputedValue[];
}

/** The default features, before the numeric traits and computed values of the database are added. */
export const DEFAULT_BEHAVIOUR = [
  "orders.count",
  "orders.revenue",
  "events.count",
  "events.mobile_share",
  "events.favourite_hour",
  "events.category_mix",
  "events.channel_mix",
] as const;

const ORDER_MEASURES: readonly OrderMeasure[] = [
  "count",
  "revenue",
  "aov",
  "days_since_last",
  "days_since_first",
];
const SHARE_PROPERTIES: readonly ShareProperty[] = ["device", "channel", "category"];

/** Every fixed name of the vocabulary (for suggestions). */
const VOCABULARY = [
  ...ORDER_MEASURES.map((m) => `orders.${m}`),
  "orders.category_share",
  "orders.category_mix",
  "events.count",
  "events.mobile_share",
  "events.favourite_hour",
  ...SHARE_PROPERTIES.flatMap((p) => [`events.${p}_share`, `events.${p}_mix`]),
];

function bad(name: string, reason: string): UserError {
  return new UserError("bad-feature", `feature "${name}": ${reason}`, "--features");
}

function duration(name: string, text: string): Duration {
  const d = parseDuration(text);
  if (typeof d === "string") throw bad(name, d);
  return d;
}

const isDuration = (s: string | undefined): s is string => s !== undefined && /^[1-9][0-9]*[dwmy]$/.test(s);

function valueKind(type: string): ValueKind {
  if (type === "integer" || type === "number") return "numeric";
  if (type === "date" || type === "timestamp") return "date";
  return "categorical";
}

/** Resolves one feature name against the schema; a clear error (with a suggestion) for anything unknown. */
export function resolveFeature(text: string, schema: FeatureSchema): FeatureSpec {
  const name = text.trim();
  if (name === "") throw bad(text, "empty name");
  const traitNames = schema.traits.map((t) => t.name);
  const computedNames = schema.computed.map((c) => c.name);
  const trait = (n: string): FeatureSpec => {
    const t = schema.traits.find((x) => x.name === n);
    if (!t) throw bad(name, `no trait "${n}"${didYouMean(n, traitNames)}`);
    return { kind: "trait", id: `trait:${n}`, name: n, value: valueKind(t.type) };
  };
  const computed = (n: string): FeatureSpec => {
    const c = schema.computed.find((x) => x.name === n);
    if (!c) throw bad(name, `no computed value "${n}"${didYouMean(n, computedNames)}`);
    const value = valueKind(c.type);
    return { kind: "computed", id: `computed:${n}`, name: n, value, table: c.table, column: c.column };
  };
  if (name.startsWith("trait:")) return trait(name.slice(6));
  if (name.startsWith("computed:")) return computed(name.slice(9));
  const [head = "", ...rest] = name.split(":");
  if (head.startsWith("orders.")) return orderFeature(name, head.slice(7), rest);
  if (head.startsWith("events.")) return eventFeature(name, head.slice(7), rest);
  if (traitNames.includes(name)) return trait(name);
  if (computedNames.includes(name)) return computed(name);
  throw bad(name, `unknown feature${didYouMean(name, [...VOCABULARY, ...traitNames, ...computedNames])}`);
}

function orderFeature(name: string, measure: string, rest: string[]): FeatureSpec {
  if (measure === "category_share" || measure === "category_mix") {
    const mix = measure === "category_mix";
    if (mix ? rest.length > 0 : rest.length !== 1 || rest[0] === "")
      throw bad(name, mix ? "takes no value" : "name one category: orders.category_share:<category>");
    return { kind: "order-category", id: name, category: mix ? null : (rest[0] as string) };
  }
  if (!(ORDER_MEASURES as readonly string[]).includes(measure))
    throw bad(name, `unknown order measure${didYouMean(`orders.${measure}`, VOCABULARY)}`);
  const m = measure as OrderMeasure;
  if (rest.length > 1 || (rest.length === 1 && m.startsWith("days_since")))
    throw bad(name, m.startsWith("days_since") ? "takes no window" : "expected orders.<measure>[:<window>]");
  const window = rest[0] === undefined ? undefined : duration(name, rest[0]);
  return { kind: "orders", id: name, measure: m, ...(window ? { window } : {}) };
}

function eventFeature(name: string, what: string, rest: string[]): FeatureSpec {
  if (what === "count") {
    const last = rest.at(-1);
    const window = isDuration(last) ? duration(name, last) : undefined;
    const event = (window ? rest.slice(0, -1) : rest).join(":");
    return {
      kind: "events",
      id: name,
      event: event === "" || event === "*" ? null : event,
      ...(window ? { window } : {}),
    };
  }
  if (what === "favourite_hour") {
    if (rest.length) throw bad(name, "takes no value");
    return { kind: "hour", id: name };
  }
  if (what === "mobile_share") {
    if (rest.length) throw bad(name, "takes no value");
    return { kind: "share", id: name, property: "device", value: "mobile" };
  }
  const m = /^(device|channel|category)_(share|mix)$/.exec(what);
  if (!m) throw bad(name, `unknown event feature${didYouMean(`events.${what}`, VOCABULARY)}`);
  const property = m[1] as ShareProperty;
  if (m[2] === "mix") {
    if (rest.length) throw bad(name, "takes no value");
    return { kind: "share", id: name, property, value: null };
  }
  if (rest.length !== 1 || rest[0] === "")
    throw bad(name, `name one value: events.${property}_share:<value>`);
  return { kind: "share", id: name, property, value: rest[0] as string };
}

/** Resolves a list of names (duplicates removed, first kept). */
export function resolveFeatures(names: readonly string[], schema: FeatureSchema): FeatureSpec[] {
  if (names.length === 0) throw new UserError("bad-feature", "no features given", "--features");
  const out: FeatureSpec[] = [];
  for (const n of names) {
    const f = resolveFeature(n, schema);
    if (!out.some((o) => o.id === f.id)) out.push(f);
  }
  return out;
}

/**
 * The default features: every numeric trait that is not personal data, CLV once computed, and the behaviour set
 * (orders, activity, device, hour, interests, channels). Defaults with no data in a database are skipped when
 * the matrix is built.
 */
export function defaultFeatures(schema: FeatureSchema): FeatureSpec[] {
  const traits = schema.traits
    .filter((t) => !t.pii && valueKind(t.type) === "numeric")
    .map((t) => `trait:${t.name}`);
  // Of the computed values only CLV: RFM scores and the CLV model's parts restate the order aggregates.
  const computed = schema.computed
    .filter((c) => c.name === "clv" && valueKind(c.type) === "numeric")
    .map((c) => `computed:${c.name}`);
  return resolveFeatures([...traits, ...computed, ...DEFAULT_BEHAVIOUR], schema);
}

/** How a numeric column is transformed by default: counts and money are log-scaled, shares and hours never. */
export type Role = "count" | "money" | "share" | "circular" | "days" | "value";

/** The role of a feature's columns. */
export function roleOf(f: FeatureSpec): Role {
  switch (f.kind) {
    case "orders":
      return f.measure === "count" ? "count" : f.measure.startsWith("days") ? "days" : "money";
    case "events":
      return "count";
    case "share":
    case "order-category":
      return "share";
    case "hour":
      return "circular";
    case "trait":
    case "computed":
      return f.value === "date" ? "days" : "value";
  }
}
