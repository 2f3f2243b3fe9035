import { readFileSync } from "node:fs";
import { UserError } from "../errors.js";
import { LIMITS, textLengthProblem } from "./limits.js";
import { parseSegmentText } from "./text/segment-document.js";
import { SegmentError } from "./validate.js";

/**
 * Reads a segment definition from a file: a JSON document (`.json`), or the text form with header lines
 * (`id:`, `name:`, `description:`, `where:`). Returns the document, still to be validated.
 */
export function readDefinitionFile(path: string): unknown {
  let text: string;
  try {
    // Without the byte-order mark some editors put first: JSON.parse refuses it.
    text = readFileSync(path, "utf8").replace(/^\uFEFF/, "");
  } catch {
    throw new UserError("file-not-found", "no such file (or it cannot be read)", path);
  }
  // Checked before parsing: a file of many megabytes is no definition, and parsing it costs time and memory.
  const tooLong = textLengthProblem(text);
  if (tooLong !== undefined) throw new UserError("definition-too-long", tooLong, path);
  if (path.toLowerCase().endsWith(".json") || text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch (e) {
      // A stack overflow inside JSON.parse is nesting, not a syntax error (the limits are checked once it is read).
      if (e instanceof RangeError)
        throw new UserError("bad-json", `nested deeper than ${LIMITS.depth} levels`, path);
      throw new UserError("bad-json", `not valid JSON: ${(e as Error).message}`, path);
    }
  }
  try {
    return parseSegmentText(text);
  } catch (e) {
    if (e instanceof SegmentError) throw new SegmentError(e.issues, path);
    throw e;
  }
}
