/**
 * SQL fragments: the one way domain code writes SQL. A fragment is a list of pieces — text written by the
 * program, bound values, identifiers, session temporary tables — and only an engine's session turns it into
 * the engine's text and parameters (`renderSql`), so no value is ever spliced into SQL and no placeholder is
 * numbered by hand. In the spirit of Drizzle's `sql` tag:
 *
 *     sql`SELECT count(*) FROM ${sql.ident("orders")} WHERE total > ${minimum}`
 *
 * Interpolating a fragment inlines it; interpolating anything else binds it as a parameter.
 */

/** A bound parameter value. */
export type SqlValue = string | number | bigint | boolean | null | Date;

/** Column types the engine-neutral code may ask for. */
export type ColumnType = "string" | "integer" | "number" | "boolean" | "date" | "timestamp" | "json";

/** One piece of a fragment. */
export type SqlPiece =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "param"; readonly value: SqlValue; readonly type: ColumnType | undefined }
  | { readonly kind: "ident"; readonly names: readonly string[] }
  | { readonly kind: "temp"; readonly name: string };

export class Sql {
  constructor(readonly pieces: readonly SqlPiece[]) {}

  /** True when the fragment holds no text at all (an optional clause left out). */
  get isEmpty(): boolean {
    return this.pieces.every((p) => p.kind === "text" && p.text.trim() === "");
  }
}

/** What a value interpolated into `sql` may be: a fragment (inlined) or a value (bound). */
export type SqlArg = Sql | SqlValue;

function piecesOf(arg: SqlArg): readonly SqlPiece[] {
  if (arg instanceof Sql) return arg.pieces;
  return [{ kind: "param", value: arg, type: undefined }];
}

/** A fragment from a template: fragments are inlined, every other value is bound as a parameter. */
export function sql(strings: TemplateStringsArray, ...args: readonly SqlArg[]): Sql {
  const pieces: SqlPiece[] = [];
  strings.forEach((text, i) => {
    if (text !== "") pieces.push({ kind: "text", text });
    if (i < args.length) pieces.push(...piecesOf(args[i] as SqlArg));
  });
  return new Sql(pieces);
}

/** Text the program wrote (never a user's value): keywords, generated expressions, constant numbers. */
sql.raw = (text: string): Sql => new Sql(text === "" ? [] : [{ kind: "text", text }]);

/** An identifier (`a.b` given as `ident("a", "b")`), quoted by the engine's dialect. */
sql.ident = (...names: readonly string[]): Sql => new Sql([{ kind: "ident", names }]);

/**
 * A session's temporary table, by the name the code gives it. Each engine names it so that concurrent sessions
 * never meet: DuckDB's temporary tables belong to the connection already; ClickHouse's session gives it a name
 * of its own.
 */
sql.temp = (name: string): Sql => new Sql([{ kind: "temp", name }]);

/** A bound value with the type the engine is to read it as (needed where the engine cannot infer it). */
sql.param = (value: SqlValue, type: ColumnType): Sql => new Sql([{ kind: "param", value, type }]);

/** Fragments joined by a separator (`, ` unless given). */
sql.join = (parts: readonly SqlArg[], separator: Sql | string = ", "): Sql => {
  const sep = typeof separator === "string" ? sql.raw(separator) : separator;
  const pieces: SqlPiece[] = [];
  parts.forEach((p, i) => {
    if (i > 0) pieces.push(...sep.pieces);
    pieces.push(...piecesOf(p));
  });
  return new Sql(pieces);
};

/** The empty fragment (an optional clause left out). */
sql.empty = new Sql([]);

/** How an engine writes each kind of piece. */
export interface SqlRenderer {
  quoteIdent(name: string): string;
  /** The placeholder of the `index`-th parameter (0-based) of a query, read as `type` when given. */
  placeholder(index: number, value: SqlValue, type: ColumnType | undefined): string;
  /** The name a session's temporary table has in this engine (quoted). */
  tempName(name: string): string;
}

/** A rendered statement: the engine's text and its parameters in placeholder order. */
export interface RenderedSql {
  readonly text: string;
  readonly params: readonly SqlValue[];
  readonly types: readonly (ColumnType | undefined)[];
}

export function renderSql(q: Sql | string, r: SqlRenderer): RenderedSql {
  if (typeof q === "string") return { text: q, params: [], types: [] };
  let text = "";
  const params: SqlValue[] = [];
  const types: (ColumnType | undefined)[] = [];
  for (const p of q.pieces) {
    switch (p.kind) {
      case "text":
        text += p.text;
        break;
      case "param":
        text += r.placeholder(params.length, p.value, p.type);
        params.push(p.value);
        types.push(p.type);
        break;
      case "ident":
        text += p.names.map((n) => r.quoteIdent(n)).join(".");
        break;
      case "temp":
        text += r.tempName(p.name);
        break;
    }
  }
  return { text, params, types };
}

/** A time as timestamp text (UTC, no zone), as every engine reads a timestamp parameter. */
export const tsText = (d: Date): string => d.toISOString().replace("T", " ").replace("Z", "");

/** A time bound as a timestamp parameter. */
export const tsParam = (d: Date): Sql => sql.param(tsText(d), "timestamp");

/** How many leading hexadecimal digits a dialect's `leadingHexNumber` reads: 1 to 13 (52 bits, exact in a double). */
export function leadingHexDigits(digits: number): number {
  if (!Number.isInteger(digits) || digits < 1 || digits > 13)
    throw new Error(`leadingHexNumber: ${digits} digits`);
  return digits;
}
