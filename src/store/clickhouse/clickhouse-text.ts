import { type Sql, sql } from "../sql.js";

/**
 * ClickHouse text: identifiers and literals quoted, and values written as DuckDB writes them (numbers, times and
 * JSON), so that text built from values is the same on both engines.
 */

const raw = sql.raw;

export const q = (name: string) => `"${name.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
// ClickHouse string literals treat a backslash as an escape character.
export const lit = (value: string) => `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** A whole number below 100 as text of at least two digits (an exponent as DuckDB writes it). */
const twoDigits = (n: Sql) => sql`if(${n} < 10, concat('0', toString(${n})), toString(${n}))`;
/**
 * A double as DuckDB writes it (as Python's repr): the shortest digits that read back the same (ClickHouse's
 * toString finds them, written as JavaScript does), a whole number with ".0", and an exponent (e+16, e-05) from
 * 10^16 up and below 10^-4. So "1.0", "1e+16", "1.5e-07" where ClickHouse writes "1", "10000000000000000", "1.5e-7".
 */
function doubleText(e: Sql): Sql {
  const s = sql`toString(${e})`;
  const sign = sql`if(startsWith(${s}, '-'), '-', '')`;
  const a = sql`substring(${s}, 1 + startsWith(${s}, '-'))`;
  const mantissa = (digits: Sql) =>
    sql`concat(substring(${digits}, 1, 1), if(length(${digits}) > 1, concat('.', substring(${digits}, 2)), ''))`;
  const exponent = sql`toInt32OrZero(splitByChar('e', ${a})[2])`;
  const big = sql`replaceRegexpOne(${a}, '0+$', '')`;
  const fraction = sql`substring(${a}, 3)`;
  const small = sql`replaceRegexpOne(${fraction}, '^0+', '')`;
  return sql`multiIf(position(${a}, 'e') > 0,
      concat(${sign}, splitByChar('e', ${a})[1], 'e', if(${exponent} < 0, '-', '+'), ${twoDigits(sql`abs(${exponent})`)}),
    match(${a}, '^[0-9]{17,}$'), concat(${sign}, ${mantissa(big)}, 'e+', toString(length(${a}) - 1)),
    match(${a}, '^[0-9]+$'), concat(${s}, '.0'),
    match(${a}, '^0[.]0000'),
      concat(${sign}, ${mantissa(small)}, 'e-', ${twoDigits(sql`(length(${fraction}) - length(${small}) + 1)`)}),
    ${s})`;
}

/**
 * Whether `e`'s type name matches a pattern. The type is known when the query is planned: an `if`/`multiIf` on it
 * computes only the branch taken (the others must still type-check for every argument type).
 */
export const typeIs = (e: Sql, pattern: string) => sql`match(toTypeName(${e}), ${raw(lit(pattern))})`;

/** A DateTime64 as DuckDB writes a timestamp: without the fraction's trailing zeros ("2024-05-01 09:00:00"). */
export const timestampText = (v: Sql) => sql`replaceRegexpOne(toString(${v}), '\\.?0+$', '')`;

/**
 * Any value as text as DuckDB writes it (`v` is read as often as its type's shape needs): a timestamp as
 * `timestampText`, a double as `doubleText`, the rest as toString writes them.
 */
export const valueText = (v: Sql) =>
  sql`if(toTypeName(${v}) LIKE '%DateTime64%', ${timestampText(v)},
           if(toTypeName(${v}) LIKE '%Float%', ${doubleText(v)}, toString(${v})))`;

/**
 * A value as JSON, as DuckDB's json_object writes it: whole numbers unquoted, a double as JavaScript writes it with
 * ".0" when whole (1.5, 100.0, 1e21, 1e-7), a timestamp as `toText` writes it, text escaped (the session
 * leaves "/" unescaped: output_format_json_escape_forward_slashes), the rest as toJSONString writes them.
 */
export const jsonValue = (v: Sql) => {
  const s = sql`toString(${v})`;
  return sql`multiIf(${typeIs(v, "^(Nullable\\()?(U?Int[0-9]+|Decimal)")}, ${s},
    ${typeIs(v, "^(Nullable\\()?Float")},
      multiIf(match(${s}, '^-?[0-9]+$'), concat(${s}, '.0'), ${s} = 'nan', 'NaN', ${s} = 'inf', 'Infinity', ${s} = '-inf', '-Infinity', ${s}),
    ${typeIs(v, "DateTime64")}, toJSONString(${timestampText(v)}),
    toJSONString(${v}))`;
};

/**
 * RFC 7396 over ClickHouse's jsonMergePatch, which keeps a null of the patch as a value: the object `merged`
 * rebuilt without the keys that are null in `patch`, `depth` levels down (each level an object merged into).
 * A value kept is written as JSONExtractRaw writes it (a whole double loses its ".0": 10.0 is 10).
 */
export function withoutPatchNulls(merged: string, patch: string, depth: number): string {
  const kv = `_kv${depth}`;
  const value =
    depth > 1
      ? `if(JSONType(${patch}, ${kv}.1) = 'Object', ${withoutPatchNulls(`${kv}.2`, `JSONExtractRaw(${patch}, ${kv}.1)`, depth - 1)}, ${kv}.2)`
      : `${kv}.2`;
  const kept = `arrayFilter(${kv} -> NOT (JSONHas(${patch}, ${kv}.1) AND JSONType(${patch}, ${kv}.1) = 'Null'), JSONExtractKeysAndValuesRaw(${merged}))`;
  return `concat('{', arrayStringConcat(arrayMap(${kv} -> concat(toJSONString(${kv}.1), ':', ${value}), ${kept}), ','), '}')`;
}
