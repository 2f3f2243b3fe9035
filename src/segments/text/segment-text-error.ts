import { SegmentError, type SegmentIssue } from "../validate.js";
import type { Span } from "./spans.js";

/** A text that does not parse: the one problem, at its line and column (`span`, for an editor to mark). */
export class SegmentTextError extends SegmentError {
  constructor(
    issue: SegmentIssue,
    readonly span: Span,
  ) {
    super([issue]);
  }
}

/** The error of a fault at a line and column (`width` columns wide), its place also the issue's path. */
export function textError(message: string, line: number, column: number, width = 1): SegmentTextError {
  return new SegmentTextError(
    { path: `line ${line}, column ${column}`, message },
    { line, column, endLine: line, endColumn: column + width },
  );
}
