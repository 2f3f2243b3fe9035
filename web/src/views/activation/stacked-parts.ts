/** One part of a stacked bar: the bar it belongs to, what it counts, and how many. */
export interface Part {
  readonly bar: string;
  readonly part: string;
  readonly count: number;
}

/**
 * The parts of stacked bars that are drawn: counts above zero. A count the k-gate hid (null) is not drawn (the
 * table says `<k`), nor is an empty part (it would be a zero-width mark).
 */
export function shownParts<Row>(
  rows: readonly Row[],
  bar: (row: Row) => string,
  parts: readonly { readonly label: string; readonly count: (row: Row) => number | null }[],
): Part[] {
  return rows.flatMap((row) =>
    parts.flatMap((p) => {
      const count = p.count(row);
      return count !== null && count > 0 ? [{ bar: bar(row), part: p.label, count }] : [];
    }),
  );
}
