import { suppressedText } from "../../format";

/** The narrowest a chart's stacked bars are drawn, between its margins (a narrower container scrolls sideways). */
export const MIN_BARS_WIDTH = 160;

/** One part of a stacked bar: the bar it belongs to, what it counts, and how many. */
export interface Part {
  readonly bar: string;
  readonly part: string;
  readonly count: number;
}

/** A bar's parts: each a label and its count in a row (null: hidden by the k-gate). */
export type PartsOf<Row> = readonly { readonly label: string; readonly count: (row: Row) => number | null }[];

/**
 * The parts of stacked bars that are drawn: counts above zero. A count the k-gate hid (null) is not drawn (the
 * table says `<k`), nor is an empty part (it would be a zero-width mark).
 */
export function shownParts<Row>(
  rows: readonly Row[],
  bar: (row: Row) => string,
  parts: PartsOf<Row>,
): Part[] {
  return rows.flatMap((row) =>
    parts.flatMap((p) => {
      const count = p.count(row);
      return count !== null && count > 0 ? [{ bar: bar(row), part: p.label, count }] : [];
    }),
  );
}

/** What a chart says at the end of a bar whose parts the k-gate hid: which, as `<k`, never drawn as a length. */
export interface HiddenNote {
  readonly bar: string;
  /** Where the drawn parts of its bar end. */
  readonly end: number;
  readonly text: string;
}

export function hiddenNotes<Row>(
  rows: readonly Row[],
  bar: (row: Row) => string,
  parts: PartsOf<Row>,
  k: number,
): HiddenNote[] {
  return rows.flatMap((row) => {
    const hidden = parts.filter((p) => p.count(row) === null).map((p) => p.label.toLowerCase());
    if (hidden.length === 0) return [];
    const end = parts.reduce((sum, p) => sum + Math.max(0, p.count(row) ?? 0), 0);
    return [{ bar: bar(row), end, text: `${hidden.join(", ")}: ${suppressedText(k)} (suppressed)` }];
  });
}
