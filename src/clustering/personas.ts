import { isSmall, sizeHidden, suppressPartition } from "../privacy/k-gate.js";
import { DEFAULT_MIN_GROUP } from "../privacy/small-groups.js";
import { gatedSegmentSizes } from "../segments/membership-reports.js";
import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import { listPredictions } from "../store/computed.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { circularHour } from "./centroids.js";
import { extractFeatures, type FeatureTable, featureSchema } from "./feature-matrix.js";
import { defaultFeatures, resolveFeatures } from "./feature-spec.js";
import { daypart, humanize, personaName } from "./persona-name.js";
import { groupProfiles, type Preference } from "./persona-sql.js";
import { quantile } from "./preprocess.js";
import { assignmentView, loadClustering } from "./saved-clusterings.js";

/**
 * Where the groups come from: a saved clustering, a saved segment (its current members), or any SQL relation
 * (a fragment) with columns (customer_id, grp).
 */
export type GroupSource =
  | { readonly clustering: string }
  | { readonly segment: string }
  | { readonly relation: Sql };

export interface PersonaOptions {
  readonly asOf?: Date;
  /** How many distinguishing features to list (default 5). */
  readonly top?: number;
  /** Groups smaller than this report their size only (default 10: DESIGN.md, principle 5). */
  readonly minGroup?: number;
}

/** A numeric feature on which a group differs from the base. */
export interface Difference {
  readonly feature: string;
  readonly label: string;
  /** Mean in the group and in the base, in the feature's own units. */
  readonly group: number | null;
  readonly base: number | null;
  /** (group mean − base mean) / base sd, on the log scale for counts and money. */
  readonly difference: number;
}

/** A category of a trait that is over-represented in a group. */
export interface TraitLift {
  readonly feature: string;
  readonly value: string;
  readonly share: number;
  readonly lift: number;
}

export interface Persona {
  readonly group: string;
  readonly name: string;
  /** Null when suppressed. */
  readonly size: number | null;
  readonly share: number | null;
  /**
   * True when the group is too small to describe (fewer than k people, or the rest of the base is, or the other
   * groups' sizes would give such a group away): nothing is given but its label.
   */
  readonly suppressed: boolean;
  readonly distinguishing: readonly Difference[];
  readonly traits: readonly TraitLift[];
  readonly age: { readonly p25: number; readonly median: number; readonly p75: number } | null;
  /** Product categories by share of the group's spend, with lift over the base. */
  readonly categories: readonly Preference[];
  /** The channel and device with the highest lift among those with at least 15% of the group's activity. */
  readonly channel: Preference | null;
  readonly device: Preference | null;
  readonly hours: {
    readonly typical: number | null;
    readonly daypart: string | null;
    readonly top: readonly Preference[];
  };
  readonly value: {
    readonly revenuePerCustomer: number | null;
    readonly ordersPerCustomer: number | null;
    readonly averageOrderValue: number | null;
    readonly clv: number | null;
    /**
     * The mean of each prediction held per person (churn risk, launch propensities) over the group's scored
     * members: the share of the group expected to leave, or to buy; null before any model ran.
     */
    readonly predictions: Readonly<Record<string, number | null>> | null;
  };
}

export interface PersonaReport {
  readonly source: { readonly kind: "clustering" | "segment" | "relation"; readonly name: string | null };
  readonly customers: number;
  readonly asOf: string;
  readonly personas: readonly Persona[];
}

const GROUPS = "_persona_groups";
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Fills the temporary group table; returns which customers the base is, and the source's own features. */
async function loadGroups(
  engine: Engine,
  source: GroupSource,
): Promise<{ includeAnonymous: boolean; features: readonly string[] }> {
  const d = engine.dialect;
  if ("clustering" in source) {
    const { spec } = await loadClustering(engine, source.clustering);
    await engine.run(
      d.createTempAs(
        GROUPS,
        sql`SELECT customer_id, cluster AS grp FROM ${sql.ident(assignmentView(source.clustering))}`,
      ),
    );
    return { includeAnonymous: spec.includeAnonymous, features: spec.features };
  }
  if ("segment" in source) {
    await requireSegment(engine, source.segment);
    // Its members are those of the last refresh, which must have seen its latest version.
    await requireEvaluated(engine, [source.segment], "--segment");
    await engine.run(
      d.createTempAs(
        GROUPS,
        sql`SELECT customer_id, segment_id AS grp FROM segment_membership
        WHERE segment_id = ${source.segment} AND exited_at IS NULL`,
      ),
    );
    return { includeAnonymous: true, features: [] };
  }
  await engine.run(d.createTempAs(GROUPS, sql`SELECT customer_id, grp FROM (${source.relation}) r`));
  return { includeAnonymous: false, features: [] };
}

/**
 * Describes groups of customers against the whole base: size and share, the numeric features that differ most
 * (standardised difference), over-represented trait values (lift), top product categories, preferred channel,
 * device and hours, value per customer, and a generated name. Works for a saved clustering, a segment, or any
 * (customer_id → group) relation.
 */
export async function personas(
  engine: Engine,
  source: GroupSource,
  opts: PersonaOptions = {},
): Promise<PersonaReport> {
  const asOf = opts.asOf ?? new Date();
  const minGroup = opts.minGroup ?? DEFAULT_MIN_GROUP;
  const { includeAnonymous, features } = await loadGroups(engine, source);
  try {
    const schema = await featureSchema(engine);
    const categorical = schema.traits
      .filter((t) => !t.pii && (t.type === "string" || t.type === "boolean"))
      .map((t) => `trait:${t.name}`);
    const predictions = (await listPredictions(engine)).map((p) => p.name);
    const extra = [
      "orders.aov",
      ...schema.computed.filter((c) => c.name === "clv").map(() => "computed:clv"),
      // Predictions are described (and may distinguish a group: a higher churn risk) but never cluster anyone.
      ...predictions.map((name) => `computed:${name}`),
    ];
    const ids = [...features, ...defaultFeatures(schema).map((f) => f.id), ...categorical, ...extra];
    const specs = resolveFeatures([...new Set(ids)], schema);
    const table = await extractFeatures(engine, specs, { asOf, includeAnonymous, groupTable: GROUPS });
    const profiles = await groupProfiles(engine, GROUPS, { asOf, includeAnonymous });
    const labels = table.groupLabels ?? [];
    const hidden = hiddenGroups(table, labels.length, minGroup);
    // A segment's persona gives its size: hidden wherever segment list hides it (complements included).
    if ("segment" in source && (await gatedSegmentSizes(engine, minGroup)).hidden.has(source.segment))
      hidden.fill(true);
    const out: Persona[] = labels.map((label, g) =>
      describe(table, g, label, profiles, opts.top ?? 5, minGroup, hidden[g] === true, predictions),
    );
    const kind = "clustering" in source ? "clustering" : "segment" in source ? "segment" : "relation";
    const name = "clustering" in source ? source.clustering : "segment" in source ? source.segment : null;
    return { source: { kind, name }, customers: table.n, asOf: asOf.toISOString(), personas: out };
  } finally {
    await engine.run(sql`DROP TABLE IF EXISTS ${sql.temp(GROUPS)}`);
  }
}

/** Per-column statistics of the base and of one group. */
function columnStats(values: Float64Array, groups: Int32Array, g: number, log: boolean) {
  let bn = 0;
  let bs = 0;
  let bss = 0;
  let braw = 0;
  let gn = 0;
  let gs = 0;
  let graw = 0;
  for (let i = 0; i < values.length; i++) {
    const raw = values[i] as number;
    if (Number.isNaN(raw)) continue;
    const v = log ? Math.log1p(Math.max(0, raw)) : raw;
    bn++;
    bs += v;
    bss += v * v;
    braw += raw;
    if (groups[i] === g) {
      gn++;
      gs += v;
      graw += raw;
    }
  }
  const mean = bn ? bs / bn : Number.NaN;
  const sd = bn ? Math.sqrt(Math.max(0, bss / bn - mean * mean)) : Number.NaN;
  return {
    base: bn ? braw / bn : null,
    group: gn ? graw / gn : null,
    difference: gn && sd > 0 ? (gs / gn - mean) / sd : 0,
    // Rounding leaves a constant column a tiny positive sd.
    varies: sd > 1e-9 * (Math.abs(mean) + 1),
  };
}

/**
 * The k-gate of a persona report: a group is hidden when it or the rest of the base is small; when the groups
 * divide the base (a clustering), the base minus the others would give a hidden one back: complementary
 * suppression (suppressPartition).
 */
function hiddenGroups(table: FeatureTable, count: number, k: number): boolean[] {
  const sizes = new Array<number>(count).fill(0);
  for (const x of table.groups as Int32Array) if (x >= 0 && x < count) sizes[x] = (sizes[x] ?? 0) + 1;
  const hidden = sizes.map((n) => sizeHidden(n, table.n, k));
  if (sizes.reduce((a, b) => a + b, 0) !== table.n) return hidden;
  const p = suppressPartition(sizes, k, hidden);
  return p.totalHidden ? sizes.map((n) => n > 0) : p.hidden;
}

function describe(
  table: FeatureTable,
  g: number,
  label: string,
  profiles: Awaited<ReturnType<typeof groupProfiles>>,
  top: number,
  minGroup: number,
  hide: boolean,
  predictions: readonly string[],
): Persona {
  const groups = table.groups as Int32Array;
  let size = 0;
  for (const x of groups) if (x === g) size++;
  const share = round(size / Math.max(1, table.n));
  const empty = { typical: null, daypart: null, top: [] };
  const value = {
    revenuePerCustomer: null,
    ordersPerCustomer: null,
    averageOrderValue: null,
    clv: null,
    predictions: null,
  };
  if (hide) {
    return {
      group: label,
      name: "(too small to describe)",
      size: null,
      share: null,
      suppressed: true,
      distinguishing: [],
      traits: [],
      age: null,
      categories: [],
      channel: null,
      device: null,
      hours: empty,
      value,
    };
  }
  const diffs: Difference[] = [];
  const traits: TraitLift[] = [];
  const means = new Map<string, number | null>();
  let age: Persona["age"] = null;
  for (const col of table.columns) {
    if (col.levels) {
      traits.push(...liftsOf(col.feature, col.levels, col.values, groups, g, minGroup));
      continue;
    }
    if (col.role === "circular") continue;
    const s = columnStats(col.values, groups, g, col.role === "count" || col.role === "money");
    means.set(col.name, s.group);
    // A feature the same for everyone (or absent) distinguishes nobody.
    if (!s.varies) continue;
    diffs.push({
      feature: col.name,
      label: humanize(col.name),
      group: s.group === null ? null : round(s.group),
      base: s.base === null ? null : round(s.base),
      difference: round(s.difference, 3),
    });
    if (col.feature === "trait:age") {
      const mine = Float64Array.from(col.values.filter((v, i) => groups[i] === g && !Number.isNaN(v))).sort();
      if (mine.length)
        age = { p25: quantile(mine, 0.25), median: quantile(mine, 0.5), p75: quantile(mine, 0.75) };
    }
  }
  diffs.sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference) || (a.feature < b.feature ? -1 : 1));
  const key = String(label);
  const categories = (profiles.categories.get(key) ?? []).slice(0, 3);
  const hours = profiles.hours.get(key) ?? [];
  let sin = 0;
  let cos = 0;
  for (const h of hours) {
    sin += h.share * Math.sin((2 * Math.PI * (Number(h.value) + 0.5)) / 24);
    cos += h.share * Math.cos((2 * Math.PI * (Number(h.value) + 0.5)) / 24);
  }
  const typical = hours.length ? circularHour(sin, cos) : null;
  const standout = categories.find((c) => c.lift >= 2 && c.share >= 0.2)?.value ?? null;
  const mobile = (profiles.devices.get(key) ?? []).find((d) => d.value === "mobile")?.share ?? null;
  const orders = table.columns.find((c) => c.name === "orders.count");
  const revenue = means.get("orders.revenue") ?? null;
  const ordersPer = means.get("orders.count") ?? null;
  // A name says who people are, not what a model expects of them: predictions distinguish, but do not name.
  const predicted = new Set(predictions.map((p) => `computed:${p}`));
  const name = personaName({
    differences: diffs
      .filter((d) => !predicted.has(d.feature))
      .map((d) => ({ feature: d.feature, difference: d.difference, mean: d.group })),
    ageRange: age ? [age.p25, age.p75] : null,
    mobileShare: mobile,
    hour: typical,
    category: standout,
  });
  return {
    group: label,
    name,
    size,
    share,
    suppressed: false,
    distinguishing: diffs.slice(0, top),
    traits: strongestPerTrait(traits, top),
    age,
    categories,
    channel: preferred(profiles.channels.get(key)),
    device: preferred(profiles.devices.get(key)),
    hours: { typical, daypart: typical === null ? null : daypart(typical), top: hours.slice(0, 3) },
    value: {
      revenuePerCustomer: revenue === null ? null : round(revenue, 2),
      ordersPerCustomer: ordersPer === null ? null : round(ordersPer, 3),
      averageOrderValue: orders && revenue !== null && ordersPer ? round(revenue / ordersPer, 2) : null,
      clv: means.has("computed:clv") ? round(means.get("computed:clv") ?? Number.NaN, 2) : null,
      predictions: predictions.length
        ? Object.fromEntries(
            predictions.map((name) => {
              const mean = means.get(`computed:${name}`);
              return [name, mean === null || mean === undefined ? null : round(mean)];
            }),
          )
        : null,
    },
  };
}

/** The value with the highest lift among those with at least 15% of the group's activity (else the most common). */
function preferred(prefs: readonly Preference[] | undefined): Preference | null {
  if (!prefs || prefs.length === 0) return null;
  const big = prefs.filter((p) => p.share >= 0.15);
  return [...(big.length ? big : prefs)].sort((a, b) => b.lift - a.lift || b.share - a.share)[0] ?? null;
}

/** The most over-represented value of each trait, the strongest traits first. */
function strongestPerTrait(lifts: readonly TraitLift[], top: number): TraitLift[] {
  const best = new Map<string, TraitLift>();
  for (const l of lifts) if ((best.get(l.feature)?.lift ?? 0) < l.lift) best.set(l.feature, l);
  return [...best.values()].sort((a, b) => b.lift - a.lift || (a.feature < b.feature ? -1 : 1)).slice(0, top);
}

/** Trait values over-represented in the group: share ≥ 10% and lift ≥ 1.2. */
function liftsOf(
  feature: string,
  levels: readonly string[],
  codes: Float64Array,
  groups: Int32Array,
  g: number,
  minGroup: number,
): TraitLift[] {
  const base = new Float64Array(levels.length);
  const mine = new Float64Array(levels.length);
  let bn = 0;
  let gn = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    if (Number.isNaN(c)) continue;
    base[c] = (base[c] as number) + 1;
    bn++;
    if (groups[i] === g) {
      mine[c] = (mine[c] as number) + 1;
      gn++;
    }
  }
  const out: TraitLift[] = [];
  levels.forEach((value, l) => {
    const share = gn ? (mine[l] as number) / gn : 0;
    const lift = bn && base[l] ? share / ((base[l] as number) / bn) : 0;
    // A value held by fewer than k of the group (or all but fewer than k) would describe those few people.
    const holders = mine[l] as number;
    if (isSmall(holders, minGroup) || isSmall(gn - holders, minGroup)) return;
    if (share >= 0.1 && lift >= 1.2) out.push({ feature, value, share: round(share), lift: round(lift, 2) });
  });
  return out;
}

/**
 * Names for the clusters of a fresh clustering from its own feature table (no further queries): the same
 * rules as `personas`, on the clustering's features only.
 */
export function clusterNames(table: FeatureTable, labels: Int32Array, k: number): string[] {
  return Array.from({ length: k }, (_, g) => {
    const diffs: { feature: string; difference: number; mean: number | null }[] = [];
    let age: readonly [number, number] | null = null;
    let mobile: number | null = null;
    let sin = Number.NaN;
    let cos = Number.NaN;
    let category: { value: string; lift: number } | null = null;
    for (const col of table.columns) {
      if (col.levels) continue;
      const s = columnStats(col.values, labels, g, col.role === "count" || col.role === "money");
      if (col.name.endsWith("favourite_hour:sin")) sin = s.group ?? Number.NaN;
      else if (col.name.endsWith("favourite_hour:cos")) cos = s.group ?? Number.NaN;
      else diffs.push({ feature: col.name, difference: s.difference, mean: s.group });
      if (col.name === "events.mobile_share" || col.name === "events.device_share:mobile") mobile = s.group;
      const cat = /^(events|orders)\.category_share:(.+)$/.exec(col.name);
      if (cat && s.group !== null && s.base) {
        const lift = s.group / s.base;
        if (s.group >= 0.2 && lift >= 2 && (!category || lift > category.lift))
          category = { value: cat[2] as string, lift };
      }
      if (col.feature === "trait:age") {
        const mine = Float64Array.from(
          col.values.filter((v, i) => labels[i] === g && !Number.isNaN(v)),
        ).sort();
        if (mine.length) age = [quantile(mine, 0.25), quantile(mine, 0.75)];
      }
    }
    const cat = category as { value: string; lift: number } | null;
    return personaName({
      differences: diffs,
      ageRange: age,
      mobileShare: mobile,
      hour: circularHour(sin, cos),
      category: cat?.value ?? null,
    });
  });
}
