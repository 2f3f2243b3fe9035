import type { Engine } from "../store/engine.js";
import { effectiveMinGroup, loadPrivacySettings } from "./settings.js";

/**
 * The k-gate (issue 17, item 2): no aggregate that leaves the system describes fewer than k people. A person-count
 * cell between 1 and k−1 is suppressed (primary suppression); where the report also shows what it adds up to
 * (a total, the other cells of a partition, the sizes around an intersection), more cells are suppressed until it
 * cannot be recovered by differencing (complementary suppression). Empty groups reveal nobody and stay 0.
 *
 * The gate is applied once per report, in its operation or the domain function it calls; front doors print what
 * it produced (a suppressed figure is null, shown as `<k` in tables).
 */

/** True for a count that must not leave: 1 to k−1 people (0 reveals nobody). */
export function isSmall(people: number, k: number): boolean {
  return people > 0 && people < k;
}

/** The k of a report: the database's `min_group`, raised (never lowered) by the k its caller asks for. */
export async function reportMinGroup(engine: Engine, asked?: number): Promise<number> {
  return effectiveMinGroup(await loadPrivacySettings(engine), asked);
}

/** A count as it leaves: the number, or null when suppressed. */
export function gated(n: number, hidden: boolean): number | null {
  return hidden ? null : n;
}

/**
 * Complementary suppression in one partition: cells that add up to a total the reader knows (shown by the report,
 * by another report, or the number of customers). Returns which cells to hide and whether the total must be hidden
 * too. Rule: the hidden cells are none, or at least two whose sum is at least k (their sum is what the total
 * minus the shown cells gives away); the smallest non-empty shown cells are hidden until it holds, and when no
 * cell is left to hide, the total is hidden.
 */
export function suppressPartition(
  cells: readonly number[],
  k: number,
  hiddenAlready: readonly boolean[] = [],
): { hidden: boolean[]; totalHidden: boolean } {
  const hidden = cells.map((c, i) => hiddenAlready[i] === true || isSmall(c, k));
  const unsafe = () => {
    const h = cells.filter((_, i) => hidden[i]);
    if (h.length === 0) return false;
    const sum = h.reduce((a, b) => a + b, 0);
    // One hidden cell is the total minus the others; several are recovered together when they add up to a small group.
    return h.length === 1 ? cells.some((c, i) => hidden[i] && c > 0) : isSmall(sum, k);
  };
  while (unsafe()) {
    let next = -1;
    for (let i = 0; i < cells.length; i++)
      if (!hidden[i] && (cells[i] ?? 0) > 0 && (next < 0 || (cells[i] ?? 0) < (cells[next] ?? 0))) next = i;
    if (next < 0) return { hidden, totalHidden: true };
    hidden[next] = true;
  }
  return { hidden, totalHidden: false };
}

/**
 * A group of `size` out of `base` people: hidden when it is small, or when the rest of the base is (the base
 * minus the size would give the rest away).
 */
export function sizeHidden(size: number, base: number, k: number): boolean {
  return isSmall(size, k) || isSmall(base - size, k);
}

/**
 * The intersection of two groups (sizes `a` and `b`, out of `base`): hidden when any cell of their 2×2 table is
 * small — in both, in only one of either, in neither — since each follows from the intersection and the shown
 * sizes.
 */
export function intersectionHidden(both: number, a: number, b: number, base: number, k: number): boolean {
  return isSmall(both, k) || isSmall(a - both, k) || isSmall(b - both, k) || isSmall(base - a - b + both, k);
}

/** How a table shows a figure the gate suppressed: `<10`. */
export function suppressedLabel(k: number): string {
  return `<${k}`;
}

/**
 * Complementary suppression in a two-way table of counts (an R × F grid) whose row sums, column sums and grand
 * total the reader may know (shown, or given by another report): each row, each column and the whole table is a
 * partition (suppressPartition), repeated until none needs another cell hidden. `totalHidden` when even hiding
 * every non-empty cell could not protect the grand total's partition: the report then hides the total as well. (A
 * row or column left with one hidden cell and zeros is accepted: its sum is not shown.)
 */
export function suppressTable(
  cells: readonly (readonly number[])[],
  k: number,
): { hidden: boolean[][]; totalHidden: boolean } {
  const hidden = cells.map((row) => row.map((c) => isSmall(c, k)));
  let totalHidden = false;
  const lines: [number, number][][] = [
    ...cells.map((row, i) => row.map((_, j): [number, number] => [i, j])),
    ...(cells[0] ?? []).map((_, j) => cells.map((_, i): [number, number] => [i, j])),
    cells.flatMap((row, i) => row.map((_, j): [number, number] => [i, j])),
  ];
  for (let changed = true; changed; ) {
    changed = false;
    for (const line of lines) {
      const p = suppressPartition(
        line.map(([i, j]) => cells[i]?.[j] ?? 0),
        k,
        line.map(([i, j]) => hidden[i]?.[j] === true),
      );
      if (p.totalHidden && line === lines.at(-1)) totalHidden = true;
      line.forEach(([i, j], x) => {
        if (p.hidden[x] && !hidden[i]?.[j]) {
          (hidden[i] as boolean[])[j] = true;
          changed = true;
        }
      });
    }
  }
  return { hidden, totalHidden };
}
