/**
 * Small-group suppression (DESIGN.md, principle 5): an aggregate over fewer than k people is not reported,
 * so a report cannot single anyone out. Groups keep their name and say they were suppressed.
 */

/** The default k: aggregates over fewer than 10 people are suppressed. */
export const DEFAULT_MIN_GROUP = 10;

/** True when a group of `people` must be suppressed (empty groups reveal nobody and are shown as 0). */
export function isSuppressed(people: number, minGroup: number): boolean {
  return people > 0 && people < minGroup;
}

/**
 * Returns `row` unchanged, or with every listed figure set to null and `suppressed: true` when the group is
 * smaller than `minGroup`.
 */
export function suppress<T extends Record<string, unknown>>(
  row: T,
  people: number,
  minGroup: number,
  figures: readonly (keyof T)[],
): T & { suppressed: boolean } {
  if (!isSuppressed(people, minGroup)) return { ...row, suppressed: false };
  const out: Record<string, unknown> = { ...row, suppressed: true };
  for (const f of figures) out[f as string] = null;
  return out as T & { suppressed: boolean };
}
