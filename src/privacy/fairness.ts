import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import { currentMembersSql } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { listTraits, type Trait } from "../store/trait-registry.js";
import { isSmall, reportMinGroup, sizeHidden, suppressPartition } from "./k-gate.js";

/**
 * The fairness check (issue 17, item 9): targeting by what groups have in common can still discriminate. For a
 * saved segment's current members, the composition by each sensitive trait (registry category `sensitive`) against
 * the whole base: per value, its share of the segment and of the base, its selection rate (members of the value /
 * people of the value) and the disparate-impact ratio (its rate / the highest rate shown), flagged under 0.8 (the
 * four-fifths rule of the US Uniform Guidelines on Employee Selection, 29 CFR 1607.4(D)).
 *
 * Values: a text or boolean trait as it is; a number in bands — an age (a trait named `age`, or `…_age`, `age_…`)
 * in the usual bands (<18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+), any other number in five bands at the base's
 * quintiles; people without a value form a group of their own (value null), so the shares add up to 1. Dates and
 * times are left out (named in `skipped`).
 *
 * Every figure passes the k-gate: the report releases, per value, the people of the value (its base share) and the
 * members of it (segment share; both give the rate), so the people who are NOT members of a value follow too. A value
 * with fewer than k of any of the three has the figures that would show it suppressed, and complementary suppression
 * over each column (values of the base, of the members, of the non-members, whose totals are known) keeps a hidden
 * figure from being the total minus the others. Ratios compare with the highest rate SHOWN: a suppressed rate is
 * never the reference (it could be recovered from the ratios).
 */

/** The four-fifths rule: a selection rate under 0.8 of the highest one is evidence of adverse impact. */
export const FOUR_FIFTHS = 0.8;

/** Age bands: [label, lowest age in the band]; the last is open-ended. */
export const AGE_BANDS: readonly (readonly [string, number])[] = [
  ["<18", Number.NEGATIVE_INFINITY],
  ["18-24", 18],
  ["25-34", 25],
  ["35-44", 35],
  ["45-54", 45],
  ["55-64", 55],
  ["65+", 65],
];

/** One value of a sensitive trait in the segment and in the base; figures null where the k-gate suppressed them. */
export interface FairnessGroup {
  /** The value (a band's label for numbers); null: people with no value of the trait. */
  readonly value: string | null;
  /** Share of the segment's members who have this value. */
  readonly segmentShare: number | null;
  /** Share of the whole base who have it. */
  readonly baseShare: number | null;
  /** Members of the value / people of the value. */
  readonly selectionRate: number | null;
  /** The selection rate / the highest selection rate shown (disparate impact). */
  readonly impactRatio: number | null;
  /** The ratio is under 0.8 (null when there is no ratio). */
  readonly flagged: boolean | null;
  readonly suppressed: boolean;
}

export interface FairnessTrait {
  readonly trait: string;
  readonly type: string;
  /** How values were grouped: as they are, age bands, or the base's quintiles. */
  readonly grouping: "values" | "age-bands" | "quintiles";
  readonly groups: FairnessGroup[];
  /** The value with the highest selection rate shown (the ratios' reference). */
  readonly reference: string | null;
  /** Values whose ratio is under 0.8. */
  readonly flagged: (string | null)[];
}

export interface FairnessReport {
  readonly segment: string;
  /** The whole base: every customer. */
  readonly base: number;
  /** The segment's current members (null when the k-gate suppressed it). */
  readonly members: number | null;
  readonly minGroup: number;
  readonly threshold: number;
  readonly traits: FairnessTrait[];
  /** Sensitive traits not checked, and why. */
  readonly skipped: { readonly trait: string; readonly reason: string }[];
  /** What a reader should know (no sensitive trait registered, groups suppressed). */
  readonly notes: string[];
}

const isAge = (name: string) => /^(age|.+_age|age_.+)$/i.test(name);

/** Counts per value: [value, people, members]. */
type Counts = { value: string | null; people: number; members: number }[];

/**
 * The fairness of a saved segment: its current members' composition by every sensitive trait against the whole
 * base. An unknown segment, or one saved since the last refresh, is the caller's error.
 */
export async function segmentFairness(engine: Engine, segment: string): Promise<FairnessReport> {
  await requireSegment(engine, segment);
  await requireEvaluated(engine, [segment], "privacy fairness");
  const k = await reportMinGroup(engine);
  const sensitive = (await listTraits(engine)).filter((t) => t.category === "sensitive");
  const totals = await engine.query(
    sql`SELECT count(*) AS people, ${engine.dialect.aggIf("count", [], inSegment(segment))} AS members
        FROM customers c`,
  );
  const base = Number(totals.column("people")[0] ?? 0);
  const members = Number(totals.column("members")[0] ?? 0);
  const membersHidden = sizeHidden(members, base, k);
  const traits: FairnessTrait[] = [];
  const skipped: FairnessReport["skipped"][number][] = [];
  for (const trait of sensitive) {
    const grouping = groupingOf(trait);
    if (grouping === null) {
      skipped.push({
        trait: trait.name,
        reason: `a ${trait.type} is not grouped (mark a band or value instead)`,
      });
      continue;
    }
    const value = await valueSql(engine, trait, grouping);
    const counts = await countsBy(engine, segment, value);
    if (grouping === "age-bands") {
      const order = new Map(AGE_BANDS.map(([label], i) => [label, i]));
      counts.sort((a, b) => (order.get(a.value ?? "") ?? 99) - (order.get(b.value ?? "") ?? 99));
    }
    traits.push(fairnessOf(trait, grouping, counts, k, membersHidden));
  }
  const notes: string[] = [];
  if (sensitive.length === 0)
    notes.push(
      "no trait is in the category sensitive, so there is nothing to compare: mark the traits a decision must not turn on, e.g. tessera traits set gender --category sensitive",
    );
  if (traits.some((t) => t.groups.some((g) => g.suppressed)))
    notes.push(
      `figures of groups under ${k} people are suppressed (and others so they cannot be recovered); a suppressed group is not compared`,
    );
  return {
    segment,
    base,
    members: membersHidden ? null : members,
    minGroup: k,
    threshold: FOUR_FIFTHS,
    traits,
    skipped,
    notes,
  };
}

const inSegment = (segment: string): Sql => sql`c.customer_id IN (${currentMembersSql(segment)})`;

function groupingOf(t: Trait): FairnessTrait["grouping"] | null {
  if (t.type === "integer" || t.type === "number") return isAge(t.name) ? "age-bands" : "quintiles";
  if (t.type === "string" || t.type === "boolean") return "values";
  return null;
}

/** The expression giving each customer's group of a trait, as text (NULL: no value). */
async function valueSql(engine: Engine, t: Trait, grouping: FairnessTrait["grouping"]): Promise<Sql> {
  const d = engine.dialect;
  const x = sql`c.${sql.ident(t.name)}`;
  if (grouping === "values") return t.type === "string" ? x : d.toText(x);
  const bands: [string, number][] =
    grouping === "age-bands"
      ? AGE_BANDS.slice(1).map(([, from], i) => [AGE_BANDS[i]?.[0] as string, from])
      : await quintileCuts(engine, x);
  // Each band ends where the next begins; the last is open-ended.
  const last =
    grouping === "age-bands" ? (AGE_BANDS.at(-1)?.[0] as string) : `>=${fmt(bands.at(-1)?.[1] ?? 0)}`;
  if (bands.length === 0) return sql`CASE WHEN ${x} IS NULL THEN NULL ELSE ${last} END`;
  const whens = bands.map(([label, below]) => sql`WHEN ${x} < ${sql.param(below, "number")} THEN ${label}`);
  return sql`CASE WHEN ${x} IS NULL THEN NULL ${sql.join(whens, " ")} ELSE ${last} END`;
}

const fmt = (n: number) => String(Number(n.toPrecision(6)));

/** Bands at the base's quintiles: [label, upper bound (excluded)] for all but the last band. */
async function quintileCuts(engine: Engine, x: Sql): Promise<[string, number][]> {
  const d = engine.dialect;
  const qs = [0.2, 0.4, 0.6, 0.8];
  const r = await engine.query(
    sql`SELECT ${sql.join(qs.map((q, i) => sql`${d.quantile(d.cast(x, "number"), q)} AS ${sql.ident(`q${i}`)}`))}
        FROM customers c WHERE ${x} IS NOT NULL`,
  );
  const cuts = [
    ...new Set(qs.map((_, i) => r.column(`q${i}`)[0]).filter((v): v is number => typeof v === "number")),
  ].sort((a, b) => a - b);
  return cuts.map((cut, i) => [
    i === 0 ? `<${fmt(cut)}` : `[${fmt(cuts[i - 1] as number)}, ${fmt(cut)})`,
    cut,
  ]);
}

async function countsBy(engine: Engine, segment: string, value: Sql): Promise<Counts> {
  const r = await engine.query(
    sql`SELECT v, count(*) AS people, sum(m) AS members
        FROM (SELECT ${value} AS v, CASE WHEN ${inSegment(segment)} THEN 1 ELSE 0 END AS m FROM customers c) x
        GROUP BY v`,
  );
  return r
    .rows<{ v: string | null; people: unknown; members: unknown }>()
    .map((row) => ({ value: row.v, people: Number(row.people), members: Number(row.members ?? 0) }))
    .sort((a, b) =>
      a.value === b.value ? 0 : a.value === null ? 1 : b.value === null ? -1 : a.value < b.value ? -1 : 1,
    );
}

/**
 * Which figures of each value must be suppressed. Per value, the people of it (B), its members (S) and the rest
 * (R = B − S, shown whenever B and S are) are the cells of a table whose column totals (the base, the segment, the
 * rest) are known: a cell under k is hidden, each column is protected by complementary suppression, and a hidden R
 * hides S (so B − S cannot be taken). Repeated until nothing changes; when a column cannot be protected, all is.
 */
export function fairnessSuppression(
  counts: readonly { readonly people: number; readonly members: number }[],
  k: number,
  membersHidden: boolean,
): { peopleHidden: boolean[]; membersHidden: boolean[] } {
  const b = counts.map((c) => c.people);
  const s = counts.map((c) => c.members);
  const r = counts.map((c) => c.people - c.members);
  let hb = b.map((x) => isSmall(x, k));
  let hs = counts.map((_, i) => membersHidden || isSmall(s[i] as number, k) || isSmall(r[i] as number, k));
  for (let changed = true; changed; ) {
    const base = suppressPartition(b, k, hb);
    // A segment whose size is suppressed has every member figure hidden and no known total to difference from.
    const none = { hidden: s.map(() => membersHidden), totalHidden: false };
    const seg = membersHidden ? none : suppressPartition(s, k, hs);
    const rest = membersHidden
      ? none
      : suppressPartition(
          r,
          k,
          r.map((_, i) => hb[i] === true || hs[i] === true),
        );
    if (base.totalHidden || seg.totalHidden || rest.totalHidden)
      return { peopleHidden: b.map(() => true), membersHidden: s.map(() => true) };
    const nb = base.hidden;
    // A hidden rest is hidden by hiding the members of that value; the people of a hidden value hide its members.
    const ns = seg.hidden.map((h, i) => h || rest.hidden[i] === true || nb[i] === true);
    changed = nb.some((h, i) => h !== hb[i]) || ns.some((h, i) => h !== hs[i]);
    hb = nb;
    hs = ns;
  }
  return { peopleHidden: hb, membersHidden: hs };
}

function fairnessOf(
  trait: Trait,
  grouping: FairnessTrait["grouping"],
  counts: Counts,
  k: number,
  membersHidden: boolean,
): FairnessTrait {
  const base = counts.reduce((n, c) => n + c.people, 0);
  const members = counts.reduce((n, c) => n + c.members, 0);
  const hidden = fairnessSuppression(counts, k, membersHidden);
  const rates = counts.map((c, i) =>
    hidden.membersHidden[i] || c.people === 0 ? null : c.members / c.people,
  );
  const shown = rates.filter((x): x is number => x !== null);
  const top = shown.length > 0 ? Math.max(...shown) : null;
  const groups = counts.map((c, i): FairnessGroup => {
    const rate = rates[i] ?? null;
    const ratio = rate === null || top === null || top === 0 ? null : rate / top;
    const peopleHidden = hidden.peopleHidden[i] === true;
    const segHidden = hidden.membersHidden[i] === true;
    return {
      value: c.value,
      segmentShare: segHidden || members === 0 ? null : c.members / members,
      baseShare: peopleHidden || base === 0 ? null : c.people / base,
      selectionRate: rate,
      impactRatio: ratio,
      flagged: ratio === null ? null : ratio < FOUR_FIFTHS,
      suppressed: peopleHidden || segHidden,
    };
  });
  const reference = top === null ? null : (counts[rates.indexOf(top)]?.value ?? null);
  return {
    trait: trait.name,
    type: trait.type,
    grouping,
    groups,
    reference,
    flagged: groups.filter((g) => g.flagged === true).map((g) => g.value),
  };
}
