import type { Condition } from "../definition.js";
import { textLengthProblem } from "../limits.js";
import { conditionOf } from "./parse.js";
import { textError } from "./segment-text-error.js";
import { type Span, SpanRecorder } from "./spans.js";

/** A segment as its text form gives it: header fields and the condition. */
export interface SegmentText {
  id?: string;
  name?: string;
  description?: string;
  where: Condition;
}

/**
 * Parses a segment in text: header lines `id: …`, `name: …`, `description: …`, then `where:` followed by the
 * condition (on the same line or the next ones).
 */
export function parseSegmentText(text: string): SegmentText {
  return segmentOf(text, new SpanRecorder());
}

/**
 * Parses a segment in text as `parseSegmentText` does, and says where each part of the document came from: its
 * path in the document (`where.all[1].trait`, as the checker names the place of a problem) → its span in the text.
 */
export function parseSegmentTextLocated(text: string): {
  document: SegmentText;
  spans: ReadonlyMap<string, Span>;
} {
  const spans = new SpanRecorder();
  const document = segmentOf(text, spans);
  return { document, spans: spans.paths(document) };
}

function segmentOf(text: string, spans: SpanRecorder): SegmentText {
  const tooLong = textLengthProblem(text);
  if (tooLong !== undefined) throw textError(tooLong, 1, 1);
  // Files written on Windows end their lines with \r\n: a line is what lies between the breaks either way.
  const lines = text.split(/\r?\n/);
  const header: Record<string, string> = {};
  const keys: Record<string, Span> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === "" || line.trim().startsWith("#")) continue;
    const m = /^\s*([a-z]+)\s*:(.*)$/.exec(line);
    if (!m)
      throw textError(
        "expected a header line (id:, name:, description:) or where:",
        i + 1,
        1,
        Math.max(1, line.length),
      );
    const [, key, rest] = m as unknown as [string, string, string];
    const keyAt = line.indexOf(key) + 1;
    if (key === "where") {
      // Pad the first line so that columns count from the start of the file's line.
      const body = [" ".repeat(line.length - rest.length) + rest, ...lines.slice(i + 1)].join("\n");
      keys.where = { line: i + 1, column: keyAt, endLine: i + 1, endColumn: keyAt + key.length };
      const where = conditionOf(body, i + 1, spans);
      return spans.mark({ ...header, where }, { line: 1, column: 1, endLine: 1, endColumn: 1 }, keys);
    }
    if (!["id", "name", "description"].includes(key))
      throw textError(
        `unknown header "${key}" (expected id, name, description or where)`,
        i + 1,
        keyAt,
        key.length,
      );
    const value = rest.trim();
    header[key] = value;
    // The value's place (the header's own when it is empty): a problem with an id or a name is shown there.
    const at = value === "" ? keyAt : line.length - rest.length + rest.indexOf(value) + 1;
    keys[key] = { line: i + 1, column: at, endLine: i + 1, endColumn: at + Math.max(1, value.length) };
  }
  throw textError("no where: line", lines.length, 1);
}
