/** Line and column (1-based, as the API gives them: src/segments/text/spans.ts) ↔ offsets in a text. */

export interface At {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** The offset of a line and column, kept within the line (a column past its end is its end). */
export function offsetOf(text: string, line: number, column: number): number {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) return text.length;
    start = nl + 1;
  }
  const nl = text.indexOf("\n", start);
  const lineEnd = nl < 0 ? text.length : nl;
  return Math.min(start + Math.max(0, column - 1), lineEnd);
}

/** A span's offsets: [start, end). */
export function rangeOf(text: string, at: At): { start: number; end: number } {
  const start = offsetOf(text, at.line, at.column);
  return { start, end: Math.max(start, offsetOf(text, at.endLine, at.endColumn)) };
}

/** The line and column of an offset. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}
