import { parseDuration } from "../../common/duration.js";
import { numberProblem } from "../limits.js";

/** Tokens of the text form, each with its position (1-based line and column) for error messages. */
export type TokenKind = "ident" | "string" | "number" | "duration" | "punct" | "end";

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** The decoded value: the string's contents, the number, the duration text. */
  readonly value: string | number;
  readonly line: number;
  readonly column: number;
}

export class TextError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    /** How many columns the fault spans (the token found where another was expected). */
    readonly width = 1,
  ) {
    super(`line ${line}, column ${column}: ${message}`);
  }
}

const PUNCT = ["..", "!=", ">=", "<=", "(", ")", ",", "=", ">", "<", "."];

export function tokenize(src: string, startLine = 1): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = startLine;
  let lineStart = 0;
  const at = (k: number) => ({ line, column: k - lineStart + 1 });
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const pos = at(i);
    if (ch === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) throw new TextError('a string is not closed (missing ")', pos.line, pos.column);
      const text = src.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(text) as string;
      } catch {
        throw new TextError(`bad escape in string ${text}`, pos.line, pos.column, text.length);
      }
      out.push({ kind: "string", text, value, ...pos });
      i = j + 1;
      continue;
    }
    const dur = /^-?[0-9]+[dwmy](?![A-Za-z0-9_])/.exec(src.slice(i));
    if (dur) {
      // Checked here, so that a duration out of range or negative is refused at its line and column.
      const why = parseDuration(dur[0]);
      if (typeof why === "string") throw new TextError(why, pos.line, pos.column, dur[0].length);
      out.push({ kind: "duration", text: dur[0], value: dur[0], ...pos });
      i += dur[0].length;
      continue;
    }
    // A number is a whole token: digits or a dot right after it would make the engine backtrack into a shorter
    // number ("30x" read as 3 then a stray "0").
    const num = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?(?![A-Za-z0-9_.])/.exec(src.slice(i));
    if (num && (ch !== "-" || /[0-9]/.test(src[i + 1] ?? ""))) {
      const value = Number(num[0]);
      // Too large (1e999 is Infinity), beyond exact whole numbers, or so small it reads as 0 (1e-999).
      const why =
        numberProblem(value, num[0]) ??
        (value === 0 && /[1-9]/.test(num[0].split(/[eE]/)[0] as string)
          ? `number ${num[0]} is out of range: it is too small to tell from 0`
          : undefined);
      if (why !== undefined) throw new TextError(why, pos.line, pos.column, num[0].length);
      out.push({ kind: "number", text: num[0], value, ...pos });
      i += num[0].length;
      continue;
    }
    // Digits run into letters: a window written wrong ("30x", "1.5d"), said as such.
    const word = /^[0-9][0-9.]*[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (word) {
      const why = parseDuration(word[0]);
      throw new TextError(
        typeof why === "string" ? why : `unexpected "${word[0]}"`,
        pos.line,
        pos.column,
        word[0].length,
      );
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ kind: "ident", text: id[0], value: id[0], ...pos });
      i += id[0].length;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (!p) throw new TextError(`unexpected character ${JSON.stringify(ch)}`, pos.line, pos.column);
    out.push({ kind: "punct", text: p, value: p, ...pos });
    i += p.length;
  }
  out.push({ kind: "end", text: "end of input", value: "", ...at(i) });
  return out;
}
