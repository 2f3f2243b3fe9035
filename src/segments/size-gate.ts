import { sizeHidden, suppressPartition } from "../privacy/k-gate.js";

/**
 * Which saved segments' sizes the k-gate hides (src/privacy/k-gate.ts), pure: the one rule every report that
 * shows a segment's size follows (membership-reports.ts `gatedSegmentSizes`), so that no two disagree.
 */

/**
 * Sets of segments that divide the base (their sizes add up to the number of customers): the exclusive segments
 * `segment mece --exclusive` saves (`<prefix><id>` …, `<prefix>other`). Found by the `other` segment's prefix,
 * and kept only when the sizes do add up: then a hidden one is the base minus the others.
 */
export function exclusiveSets(sizes: ReadonlyMap<string, number | null>, base: number): string[][] {
  const sets: string[][] = [];
  for (const id of sizes.keys()) {
    if (!id.endsWith("other")) continue;
    const prefix = id.slice(0, -"other".length);
    if (prefix === "") continue;
    const members = [...sizes.keys()].filter((s) => s.startsWith(prefix));
    const total = members.reduce((n, s) => n + (sizes.get(s) ?? Number.NaN), 0);
    if (members.length > 1 && total === base) sets.push(members);
  }
  return sets;
}

/**
 * Which segment sizes are hidden: a small segment, one whose complement in the base is small, and complementary
 * cells wherever shown sizes add up to what would give a hidden one back — within a set of exclusive segments
 * (suppressPartition), and for any other set of shown segments whose sizes add up to a hidden segment's size or
 * to the base minus it (segments defined to divide the base, by country say: their author knows they do).
 * Sizes not known (null: not evaluated) are not hidden.
 */
export function hiddenSizes(sizes: ReadonlyMap<string, number | null>, base: number, k: number): Set<string> {
  const hidden = new Set<string>();
  for (const [id, n] of sizes) if (n !== null && sizeHidden(n, base, k)) hidden.add(id);
  for (const set of exclusiveSets(sizes, base)) {
    const cells = set.map((id) => sizes.get(id) ?? 0);
    const p = suppressPartition(
      cells,
      k,
      set.map((id) => hidden.has(id)),
    );
    set.forEach((id, i) => {
      if (p.hidden[i]) hidden.add(id);
    });
    // No cell left to hide: the whole set is (the base is shown elsewhere).
    if (p.totalHidden) for (const id of set) if ((sizes.get(id) ?? 0) > 0) hidden.add(id);
  }
  // Sums of shown sizes that equal a hidden size or the base minus it: hide one more of them, until none is left.
  for (let guard = 0; hidden.size > 0 && guard < sizes.size; guard++) {
    const shown = [...sizes].filter(([id, n]) => n !== null && n > 0 && !hidden.has(id)) as [
      string,
      number,
    ][];
    const find = subsetFinder(
      shown.map(([, n]) => n),
      base,
    );
    const more = new Set<string>();
    for (const id of hidden) {
      const n = sizes.get(id) ?? 0;
      if (n <= 0) continue;
      for (const target of [n, base - n]) {
        const subset = find(target);
        if (subset === null || subset.length === 0) continue;
        // The smallest of the set goes with the hidden one; two hidden cells whose sum is known leave each open.
        const smallest = subset.reduce((a, b) => ((shown[b]?.[1] ?? 0) < (shown[a]?.[1] ?? 0) ? b : a));
        more.add(shown[smallest]?.[0] as string);
        break;
      }
    }
    if (more.size === 0) break;
    for (const id of more) hidden.add(id);
  }
  return hidden;
}

/** Above this many steps (segments × customers), sums are looked for among sets of at most three segments. */
const KNAPSACK_BUDGET = 20_000_000;

/**
 * A finder of a subset of positive integers adding up to a target: every subset (0/1 knapsack over sums up to
 * `max`, a parent per reachable sum) when that is cheap, else sets of one, two or three (hashing, O(n²)): a
 * division of the base into many segments on a base of millions is left to the exclusive sets and the partitions
 * of the reports themselves. Returns the indexes, or null when none is found.
 */
function subsetFinder(values: readonly number[], max: number): (target: number) => number[] | null {
  if (max <= 0 || values.length === 0) return () => null;
  if (values.length * max > KNAPSACK_BUDGET) return (target) => smallSubset(values, target);
  // parent[s]: 1 + the index of the last value of a subset reaching s (0: not reached); prev[s]: the sum before.
  const parent = new Int32Array(max + 1);
  const prev = new Int32Array(max + 1);
  parent[0] = -1;
  values.forEach((v, i) => {
    for (let s = max; s >= v; s--) {
      if (parent[s] === 0 && parent[s - v] !== 0) {
        parent[s] = i + 1;
        prev[s] = s - v;
      }
    }
  });
  return (target) => {
    if (target <= 0 || target > max || parent[target] === 0) return null;
    const out: number[] = [];
    for (let s = target; s > 0; s = prev[s] as number) out.push((parent[s] as number) - 1);
    return out;
  };
}

/** One, two or three of `values` adding up to `target` (their indexes), or null. */
function smallSubset(values: readonly number[], target: number): number[] | null {
  const at = new Map<number, number>();
  values.forEach((v, i) => {
    if (!at.has(v)) at.set(v, i);
  });
  const one = at.get(target);
  if (one !== undefined) return [one];
  for (let i = 0; i < values.length; i++) {
    const j = at.get(target - (values[i] as number));
    if (j !== undefined && j !== i) return [i, j];
  }
  for (let i = 0; i < values.length; i++)
    for (let j = i + 1; j < values.length; j++) {
      const rest = target - (values[i] as number) - (values[j] as number);
      const l = rest > 0 ? values.findIndex((v, x) => v === rest && x !== i && x !== j) : -1;
      if (l >= 0) return [i, j, l];
    }
  return null;
}
