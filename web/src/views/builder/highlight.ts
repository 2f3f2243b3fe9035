import { KEYWORDS as LANGUAGE_WORDS } from "../../../../src/segments/text/keywords";

/**
 * The colours of the segment language's text form (src/segments/text): what each stretch of a text is, read
 * forgivingly — a text being typed is rarely valid, and its problems are the API's to find (POST
 * /api/segments/check), not this reader's. Header lines (`id:`, `name:`, `description:`, `# comments`) until the
 * `where:` line, then the condition's tokens.
 */
export type TokenClass =
  | "keyword"
  | "header"
  | "comment"
  | "string"
  | "number"
  | "duration"
  | "name"
  | "operator"
  | "plain";

export interface Piece {
  readonly start: number;
  readonly end: number;
  readonly kind: TokenClass;
}

/** The language's words (the compiler's own list), and the header keys. */
const KEYWORDS = new Set([...LANGUAGE_WORDS, "account"]);

/** One token of a condition at `i` (an unclosed string runs to the end of its line). */
const TOKEN =
  /"(?:[^"\\\n]|\\.)*"?|-?[0-9]+[dwmy](?![A-Za-z0-9_])|[0-9][0-9.]*[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|[A-Za-z_][A-Za-z0-9_]*|\.\.|!=|>=|<=|[()=<>,.]|\s+|[\s\S]/y;

function conditionPieces(text: string, from: number, to: number, out: Piece[]): void {
  TOKEN.lastIndex = from;
  while (TOKEN.lastIndex < to) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) break;
    const t = m[0];
    const end = Math.min(start + t.length, to);
    const kind: TokenClass =
      t[0] === '"'
        ? "string"
        : /^-?[0-9]+[dwmy]$/.test(t)
          ? "duration"
          : /^-?[0-9]/.test(t)
            ? "number"
            : /^[A-Za-z_]/.test(t)
              ? KEYWORDS.has(t)
                ? "keyword"
                : "name"
              : /^\s/.test(t)
                ? "plain"
                : /^[()=<>,.!]/.test(t)
                  ? "operator"
                  : "plain";
    out.push({ start, end, kind });
  }
}

/** The stretches of a text, in order, covering all of it. */
export function highlight(text: string): Piece[] {
  const out: Piece[] = [];
  let offset = 0;
  let inWhere = false;
  for (const line of text.split("\n")) {
    const end = offset + line.length;
    if (inWhere) conditionPieces(text, offset, end, out);
    else if (/^\s*#/.test(line)) out.push({ start: offset, end, kind: "comment" });
    else {
      const m = /^(\s*)([a-z]+)(\s*:)/.exec(line);
      if (m) {
        const keyEnd = offset + (m[0] as string).length;
        out.push({ start: offset, end: keyEnd, kind: "header" });
        if (m[2] === "where") {
          inWhere = true;
          conditionPieces(text, keyEnd, end, out);
        } else if (keyEnd < end) out.push({ start: keyEnd, end, kind: "plain" });
      } else if (line.length > 0) out.push({ start: offset, end, kind: "plain" });
    }
    if (end < text.length) out.push({ start: end, end: end + 1, kind: "plain" });
    offset = end + 1;
  }
  return out.filter((p) => p.end > p.start);
}
