/**
 * An attacker who differences what reports show (issue 17, item 2's tests): given the cells a report shows (null
 * where suppressed) and the linear relations the attacker knows between them (a total is the sum of its cells,
 * a size is the sizes before plus entries minus exits…), every assignment of the suppressed cells that satisfies
 * the relations is enumerated (each from 0 to `bound`); the attack recovers a cell when all of them agree on it.
 */

/** A known relation: Σ coefficient × cell = constant. Cells are indexes into the report's cells. */
export interface Relation {
  readonly terms: readonly (readonly [cell: number, coefficient: number])[];
  readonly equals: number;
}

/** A total: the cells at `parts` add up to the cell at `total` (or to a known number). */
export function sumRelation(parts: readonly number[], total: number | { known: number }): Relation {
  return typeof total === "number"
    ? { terms: [...parts.map((p): [number, number] => [p, 1]), [total, -1]], equals: 0 }
    : { terms: parts.map((p): [number, number] => [p, 1]), equals: total.known };
}

/**
 * The values the hidden cell `target` can take given what is shown and the relations (an empty set when nothing
 * fits: the attacker's model is wrong). `shown[i]` is the shown value, or null when suppressed.
 */
export function feasibleValues(
  shown: readonly (number | null)[],
  relations: readonly Relation[],
  target: number,
  bound: number,
): Set<number> {
  const hidden = shown.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
  const values = shown.map((v) => v ?? 0);
  const out = new Set<number>();
  const fits = () =>
    relations.every((r) => r.terms.reduce((s, [c, k]) => s + k * (values[c] ?? 0), 0) === r.equals);
  const walk = (h: number): void => {
    if (h === hidden.length) {
      if (fits()) out.add(values[target] ?? 0);
      return;
    }
    for (let v = 0; v <= bound; v++) {
      values[hidden[h] as number] = v;
      walk(h + 1);
    }
  };
  if (hidden.length > 5) throw new Error(`too many hidden cells to enumerate (${hidden.length})`);
  walk(0);
  return out;
}

/**
 * Whether the relations alone (linear algebra, no bounds) determine the hidden cell `target`: its unit vector
 * lies in the span of the relations restricted to the hidden cells (the shown ones are constants).
 */
export function linearlyDetermined(
  shown: readonly (number | null)[],
  relations: readonly Relation[],
  target: number,
): boolean {
  const hidden = shown.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
  const col = new Map(hidden.map((c, j) => [c, j]));
  const rows = relations.map((r) => {
    const row = new Array<number>(hidden.length).fill(0);
    for (const [c, k] of r.terms) {
      const j = col.get(c);
      if (j !== undefined) row[j] = (row[j] ?? 0) + k;
    }
    return row;
  });
  const unit = hidden.map((c) => (c === target ? 1 : 0));
  return rank(rows) === rank([...rows, unit]);
}

/** The rank of a small matrix of integers (Gaussian elimination; the tests' numbers are small and exact). */
function rank(matrix: readonly number[][]): number {
  const m = matrix.map((r) => [...r]);
  let r = 0;
  const cols = m[0]?.length ?? 0;
  for (let c = 0; c < cols && r < m.length; c++) {
    const pivot = m.findIndex((row, i) => i >= r && Math.abs(row[c] ?? 0) > 1e-9);
    if (pivot < 0) continue;
    [m[r], m[pivot]] = [m[pivot] as number[], m[r] as number[]];
    const p = m[r] as number[];
    for (let i = 0; i < m.length; i++) {
      if (i === r) continue;
      const row = m[i] as number[];
      const f = (row[c] ?? 0) / (p[c] ?? 1);
      if (f !== 0) for (let j = c; j < cols; j++) row[j] = (row[j] ?? 0) - f * (p[j] ?? 0);
    }
    r++;
  }
  return r;
}

/**
 * True when differencing pins the hidden cell down to one value: by the relations alone, or — with few hidden
 * cells — by enumerating every non-negative assignment up to `bound` (bounds can pin what algebra leaves open).
 */
export function recovers(
  shown: readonly (number | null)[],
  relations: readonly Relation[],
  target: number,
  bound: number,
): boolean {
  if (shown[target] !== null) return true;
  if (linearlyDetermined(shown, relations, target)) return true;
  const hiddenCount = shown.filter((v) => v === null).length;
  return hiddenCount <= 3 && feasibleValues(shown, relations, target, bound).size === 1;
}
