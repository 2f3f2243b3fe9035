/**
 * Small-group suppression of one group's row (DESIGN.md, principle 5): a row over fewer than k people keeps its
 * name, says `suppressed: true`, and its figures are null. The k, and the complementary suppression of reports
 * whose groups add up to a total, are the k-gate's (k-gate.ts).
 */
import { isSmall } from "./k-gate.js";

export { DEFAULT_MIN_GROUP } from "./settings.js";

/**
 * Returns `row` unchanged, or with every listed figure set to null and `suppressed: true` when the group is
 * smaller than `minGroup` (or `hide` says so: a complementary suppression).
 */
export function suppress<T extends Record<string, unknown>>(
  row: T,
  people: number,
  minGroup: number,
  figures: readonly (keyof T)[],
  hide = false,
): T & { suppressed: boolean } {
  if (!hide && !isSmall(people, minGroup)) return { ...row, suppressed: false };
  const out: Record<string, unknown> = { ...row, suppressed: true };
  for (const f of figures) out[f as string] = null;
  return out as T & { suppressed: boolean };
}
