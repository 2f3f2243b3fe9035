import { intersectionHidden, isSmall, sizeHidden, suppressPartition } from "../privacy/k-gate.js";
import type { Mece, Overlap } from "./membership-reports.js";
import { exclusiveSets } from "./size-gate.js";
import type { HistoryPoint } from "./stays.js";
import type { Diff, Explanation, Preview } from "./what-if.js";

/**
 * The k-gate (src/privacy/k-gate.ts) applied to the segment reports: sizes, previews, diffs, history, overlap
 * and Jaccard matrices, MECE coverage. Pure: each takes what the report computed, the number of customers (the
 * base every size is a part of, which `tessera stats` shows) and k, and returns what may leave — a suppressed
 * count is null and its report says so (`suppressed`). A size is hidden the same way in every report (`segment
 * list`, `show`, `overlap`, `history`), so putting two reports side by side gives nothing one alone hides.
 */

/**
 * Complementary suppression for linear relations between shown counts (each relation a list of cell indexes
 * whose signed sum is known to be 0): a relation with exactly one hidden cell gives it away, so another of its
 * cells is hidden — the smallest, preferring `preferred` cells (flows rather than sizes, so that a size stays
 * hidden or shown the same way in every report). Repeats until no relation has exactly one hidden cell.
 */
export function suppressRelations(
  values: readonly number[],
  hidden: boolean[],
  relations: readonly (readonly number[])[],
  preferred: (i: number) => boolean = () => true,
): boolean[] {
  for (let changed = true; changed; ) {
    changed = false;
    for (const rel of relations) {
      const h = rel.filter((i) => hidden[i]);
      if (h.length !== 1 || (values[h[0] as number] ?? 0) === 0) continue;
      const open = rel.filter((i) => !hidden[i]);
      if (open.length === 0) continue;
      const pick = (pool: number[]) =>
        pool.reduce<number | undefined>(
          (best, i) => (best === undefined || (values[i] ?? 0) < (values[best] ?? 0) ? i : best),
          undefined,
        );
      const choice = pick(open.filter(preferred)) ?? (pick(open) as number);
      hidden[choice] = true;
      changed = true;
    }
  }
  return hidden;
}

/** A report's counts after the gate: null where suppressed. */
type Gated<T, K extends keyof T> = Omit<T, K> & { [P in K]: T[P] extends number ? number | null : T[P] };

export type GatedPreview = Gated<Preview, "size" | "share"> & {
  readonly suppressed: boolean;
  readonly minGroup: number;
};

/** A preview's size (and share of the base): hidden when it or the rest of the base is small. */
export function gatePreview(p: Preview, k: number): GatedPreview {
  const hide = sizeHidden(p.size, p.customers, k);
  // A sample of up to 10 ids would count a group of fewer than 10: it goes with the size.
  return {
    ...p,
    size: hide ? null : p.size,
    share: hide ? null : p.share,
    sample: hide ? [] : p.sample,
    suppressed: hide,
    minGroup: k,
  };
}

export type GatedDiff = Gated<Diff, "currentSize" | "newSize" | "entering" | "leaving"> & {
  /** Which of the four counts were suppressed. */
  readonly suppressed: { currentSize: boolean; newSize: boolean; entering: boolean; leaving: boolean };
  readonly minGroup: number;
};

/**
 * A diff's counts: sizes as anywhere else (against the base), entering and leaving when small; then, since
 * new = current + entering − leaving, one hidden count among the four is matched by another.
 */
export function gateDiff(d: Diff, base: number, k: number, currentHidden?: boolean): GatedDiff {
  const v = [d.currentSize, d.newSize, d.entering, d.leaving];
  const hidden = [
    currentHidden ?? sizeHidden(d.currentSize, base, k),
    sizeHidden(d.newSize, base, k),
    isSmall(d.entering, k),
    isSmall(d.leaving, k),
  ];
  suppressRelations(v, hidden, [[0, 1, 2, 3]], (i) => i >= 2);
  const at = (i: number) => (hidden[i] ? null : (v[i] as number));
  return {
    ...d,
    // A sample's length would count a suppressed flow: it goes with it.
    enteringSample: hidden[2] ? [] : d.enteringSample,
    leavingSample: hidden[3] ? [] : d.leavingSample,
    currentSize: at(0),
    newSize: at(1),
    entering: at(2),
    leaving: at(3),
    suppressed: {
      currentSize: hidden[0] === true,
      newSize: hidden[1] === true,
      entering: hidden[2] === true,
      leaving: hidden[3] === true,
    },
    minGroup: k,
  };
}

export type GatedHistoryPoint = Gated<HistoryPoint, "size" | "entered" | "exited"> & {
  readonly suppressed: { size: boolean; entered: boolean; exited: boolean };
};

/**
 * History points: each size as anywhere else (the latest as `segment list` shows it: `latestHidden`), entries and
 * exits when small; then, since size(t) = size(t−1) + entered(t) − exited(t) (from 0 before the first), a hidden
 * count is matched by another of its step (entries and exits first, so sizes stay as the other reports show them).
 */
export function gateHistory(
  points: readonly HistoryPoint[],
  base: number,
  k: number,
  latestHidden?: boolean,
): GatedHistoryPoint[] {
  // Cells: 3 per point (size, entered, exited).
  const v = points.flatMap((p) => [p.size, p.entered, p.exited]);
  const hidden = points.flatMap((p, i) => [
    i === points.length - 1 && latestHidden !== undefined ? latestHidden : sizeHidden(p.size, base, k),
    isSmall(p.entered, k),
    isSmall(p.exited, k),
  ]);
  const relations = points.map((_, t) => (t === 0 ? [0, 1, 2] : [3 * t, 3 * (t - 1), 3 * t + 1, 3 * t + 2]));
  suppressRelations(v, hidden, relations, (i) => i % 3 !== 0);
  return points.map((p, t) => ({
    ...p,
    size: hidden[3 * t] ? null : p.size,
    entered: hidden[3 * t + 1] ? null : p.entered,
    exited: hidden[3 * t + 2] ? null : p.exited,
    suppressed: {
      size: hidden[3 * t] === true,
      entered: hidden[3 * t + 1] === true,
      exited: hidden[3 * t + 2] === true,
    },
  }));
}

export type GatedOverlap = Omit<Overlap, "sizes" | "counts" | "jaccard"> & {
  readonly sizes: (number | null)[];
  readonly counts: (number | null)[][];
  readonly jaccard: (number | null)[][];
  /** suppressed[i][j]: whether counts[i][j] (and jaccard[i][j]) were suppressed; the diagonal is the sizes'. */
  readonly suppressed: boolean[][];
  readonly customers: number;
  readonly minGroup: number;
};

/**
 * The overlap matrix: sizes as `segment list` hides them (`hidden`); an intersection when any cell of the pair's
 * 2×2 table (both, only one, only the other, neither) is small or either size is hidden; a Jaccard index with its
 * intersection (it and the two sizes give the intersection back). Rows over a set of exclusive segments add up
 * to the row's size: complementary suppression there too.
 */
export function gateOverlap(o: Overlap, base: number, k: number, hidden: ReadonlySet<string>): GatedOverlap {
  const n = o.ids.length;
  const size = (i: number) => o.sizes[i] ?? 0;
  const h: boolean[][] = o.ids.map((a, i) =>
    o.ids.map((b, j) =>
      i === j
        ? hidden.has(a)
        : hidden.has(a) ||
          hidden.has(b) ||
          intersectionHidden(o.counts[i]?.[j] ?? 0, size(i), size(j), base, k),
    ),
  );
  const sets = exclusiveSets(new Map(o.ids.map((id, i) => [id, o.sizes[i] ?? null])), base).map((set) =>
    set.map((id) => o.ids.indexOf(id)),
  );
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < n; i++) {
      for (const set of sets) {
        if (h[i]?.[i]) continue;
        const cells = set.map((j) => o.counts[i]?.[j] ?? 0);
        const p = suppressPartition(
          cells,
          k,
          set.map((j) => h[i]?.[j] === true),
        );
        set.forEach((j, x) => {
          if (p.hidden[x] && !h[i]?.[j]) {
            (h[i] as boolean[])[j] = true;
            (h[j] as boolean[])[i] = true;
            changed = true;
          }
        });
        if (p.totalHidden)
          set.forEach((j) => {
            if (!h[i]?.[j] && (o.counts[i]?.[j] ?? 0) > 0) {
              (h[i] as boolean[])[j] = true;
              (h[j] as boolean[])[i] = true;
              changed = true;
            }
          });
      }
    }
  }
  return {
    ...o,
    sizes: o.sizes.map((s, i) => (h[i]?.[i] ? null : s)),
    counts: o.counts.map((row, i) => row.map((c, j) => (h[i]?.[j] ? null : c))),
    jaccard: o.jaccard.map((row, i) => row.map((x, j) => (h[i]?.[j] ? null : x))),
    suppressed: h,
    customers: base,
    minGroup: k,
  };
}

export type GatedMece = Omit<Mece, "covered" | "coverage" | "overlapping" | "exclusive" | "intersections"> & {
  readonly covered: number | null;
  readonly coverage: number | null;
  readonly overlapping: number | null;
  readonly exclusive?: { id: string; from: string; size: number | null; suppressed: boolean }[];
  readonly suppressed: { covered: boolean; overlapping: boolean };
  readonly minGroup: number;
};

/**
 * MECE coverage: covered and uncovered divide the base (one hides the other); the customers in two or more
 * segments, when small or when those in exactly one are; covered also when the segments' pairwise intersections
 * hide something (`intersectionsHidden`): sizes and coverage of two segments give their intersection back. The
 * exclusive sizes divide the base: complementary suppression.
 */
export function gateMece(m: Omit<Mece, "intersections">, k: number, intersectionsHidden: boolean): GatedMece {
  const uncovered = m.customers - m.covered;
  const coveredHidden = intersectionsHidden || isSmall(m.covered, k) || isSmall(uncovered, k);
  const overlappingHidden =
    coveredHidden || isSmall(m.overlapping, k) || isSmall(m.covered - m.overlapping, k);
  const base = {
    ...m,
    covered: coveredHidden ? null : m.covered,
    coverage: coveredHidden ? null : m.coverage,
    overlapping: overlappingHidden ? null : m.overlapping,
    suppressed: { covered: coveredHidden, overlapping: overlappingHidden },
    minGroup: k,
  };
  if (m.exclusive === undefined) return { ...base, exclusive: undefined } as GatedMece;
  const sizes = m.exclusive.map((e) => e.size);
  const p = suppressPartition(sizes, k);
  return {
    ...base,
    exclusive: m.exclusive.map((e, i) => {
      const hide = p.hidden[i] === true || (p.totalHidden && e.size > 0);
      return { ...e, size: hide ? null : e.size, suppressed: hide };
    }),
  };
}

export type GatedExplanation = Omit<Explanation, "size" | "steps"> & {
  readonly size: number | null;
  readonly steps: (Omit<Explanation["steps"][number], "passing" | "cumulative"> & {
    readonly passing: number | null;
    readonly cumulative?: number | null;
    readonly suppressed: boolean;
  })[];
  readonly suppressed: boolean;
  readonly minGroup: number;
};

/**
 * An explanation's counts: each (the size, each condition's, each step of the funnel) hidden when it or the rest
 * of the base is small (a "not" is the base minus its condition: the same rule covers both). A funnel step is
 * also hidden when the step before it minus it — those who pass the earlier conditions but fail this one — is
 * small; and then the "all" it ends (the same people as its last step) and the segment's size with it.
 */
export function gateExplanation(e: Explanation, k: number): GatedExplanation {
  const hide = (n: number) => sizeHidden(n, e.customers, k);
  const byPath = new Map(e.steps.map((s) => [s.path, s]));
  const passingHidden = new Map(e.steps.map((s) => [s.path, hide(s.passing)]));
  const cumulativeHidden = new Map<string, boolean>();
  for (const s of e.steps) {
    if (s.cumulative === undefined) continue;
    const m = /^(.*)\.all\[(\d+)\]$/.exec(s.path);
    const i = Number(m?.[2] ?? 0);
    const prev = m
      ? i === 1
        ? byPath.get(`${m[1]}.all[0]`)?.passing
        : byPath.get(`${m[1]}.all[${i - 1}]`)?.cumulative
      : undefined;
    cumulativeHidden.set(
      s.path,
      hide(s.cumulative) || (prev !== undefined && isSmall(prev - s.cumulative, k)),
    );
  }
  // The last step of an "all" is the "all" itself.
  let sizeHiddenToo = hide(e.size);
  for (const s of e.steps) {
    const m = /^(.*)\.all\[(\d+)\]$/.exec(s.path);
    if (!m || !cumulativeHidden.get(s.path) || byPath.has(`${m[1]}.all[${Number(m[2]) + 1}]`)) continue;
    const parent = m[1] as string;
    if (byPath.has(parent)) passingHidden.set(parent, true);
    if (parent === "where") sizeHiddenToo = true;
  }
  return {
    ...e,
    size: sizeHiddenToo ? null : e.size,
    suppressed: sizeHiddenToo,
    steps: e.steps.map((s) => {
      const p = passingHidden.get(s.path) === true;
      const c = cumulativeHidden.get(s.path) === true;
      return {
        ...s,
        passing: p ? null : s.passing,
        ...(s.cumulative !== undefined ? { cumulative: c ? null : s.cumulative } : {}),
        suppressed: p || c,
      };
    }),
    minGroup: k,
  };
}
