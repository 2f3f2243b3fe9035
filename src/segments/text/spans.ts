import type { Token, TokenKind } from "./lexer.js";

/**
 * Where a part of a definition stands in its text form: 1-based line and column of its first character, and of the
 * character just after its last (the end is exclusive). `token` is the kind of the one token the part is, when it
 * is one (a name, a value): what a replacement of it must be written as (an identifier, or quoted).
 */
export interface Span {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly token?: TokenKind;
}

/** The span of one token. */
export function tokenSpan(t: Token): Span {
  return { line: t.line, column: t.column, endLine: t.line, endColumn: t.column + width(t), token: t.kind };
}

/** The span from the first token to the last (both included). */
export function spanBetween(first: Token, last: Token): Span {
  if (first === last) return tokenSpan(first);
  return { line: first.line, column: first.column, endLine: last.line, endColumn: last.column + width(last) };
}

/** A token's width in columns: the end of the input is one column wide (where something was expected). */
function width(t: Token): number {
  return t.kind === "end" ? 1 : t.text.length;
}

/**
 * The spans of the objects a parser builds, and of their keys' values (`in[1]` for a list's second item), recorded
 * as it builds them; `paths` then names them by their place in the finished document, as the checker names the
 * places of its problems (`where.all[1].trait`: validate.ts's `formatPath`).
 */
export class SpanRecorder {
  private readonly nodes = new WeakMap<object, { self: Span; keys: Record<string, Span> }>();

  mark<T extends object>(node: T, self: Span, keys: Record<string, Span> = {}): T {
    this.nodes.set(node, { self, keys });
    return node;
  }

  /** The key spans recorded for a node (none for a node not recorded). */
  keysOf(node: object): Record<string, Span> {
    return this.nodes.get(node)?.keys ?? {};
  }

  /** Every recorded part of `doc` by its path (the document itself is ""). */
  paths(doc: unknown): Map<string, Span> {
    const out = new Map<string, Span>();
    const walk = (v: unknown, path: string): void => {
      if (typeof v !== "object" || v === null) return;
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
        return;
      }
      const node = this.nodes.get(v);
      if (node) {
        out.set(path, node.self);
        for (const [key, span] of Object.entries(node.keys)) out.set(path ? `${path}.${key}` : key, span);
      }
      for (const [key, x] of Object.entries(v)) walk(x, path ? `${path}.${key}` : key);
    };
    walk(doc, "");
    return out;
  }
}
