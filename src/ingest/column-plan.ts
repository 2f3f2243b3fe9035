import { UserError } from "../errors.js";
import { CANONICAL, DERIVED_WHEN_ABSENT, normalizeHeader } from "./canonical-fields.js";
import type { ImportSource } from "./import-source.js";
import type { ImportKind } from "./import-types.js";

/** Where a field's value comes from: a source column, and for timestamps an optional strftime format. */
export interface FieldSource {
  readonly column: string;
  readonly format?: string;
}

export interface ColumnPlan {
  /** Canonical field name → its source column. */
  readonly fields: ReadonlyMap<string, FieldSource>;
  /** Non-canonical columns: the source column and the trait or property name it becomes. */
  readonly extras: readonly { readonly column: string; readonly name: string }[];
}

/**
 * The strftime directives a `--map` time format may use: those every engine reads alike (DuckDB's strptime;
 * ClickHouse's parseDateTime after the dialect's translation), checked by the dialect conformance tests.
 */
export const FORMAT_DIRECTIVES: Readonly<Record<string, string>> = {
  Y: "year",
  y: "two-digit year",
  m: "month",
  d: "day",
  H: "hour (24h)",
  I: "hour (12h)",
  p: "AM/PM",
  M: "minute",
  S: "second",
  f: "fraction of a second",
  z: "UTC offset",
  "%": "a percent sign",
};

/** Refuses a time format with a directive outside `FORMAT_DIRECTIVES` (every row would otherwise be rejected). */
function checkFormat(spec: string, format: string): void {
  for (const m of format.matchAll(/%(.?)/g)) {
    const directive = m[1] ?? "";
    if (directive in FORMAT_DIRECTIVES && directive !== "") continue;
    const known = Object.keys(FORMAT_DIRECTIVES)
      .map((k) => `%${k}`)
      .join(" ");
    throw new UserError(
      "bad-mapping",
      directive === ""
        ? `expected a directive after the % at the end of the format "${format}" (known: ${known})`
        : `unknown directive %${directive} in the format "${format}" (known: ${known})`,
      `--map ${spec}`,
    );
  }
}

/** Parses one `--map target=source[:format]` value. */
export function parseMapping(spec: string): { target: string; source: string; format?: string } {
  const eq = spec.indexOf("=");
  const target = spec.slice(0, eq).trim();
  const rest = spec.slice(eq + 1);
  if (eq <= 0 || rest.trim() === "") {
    throw new UserError("bad-mapping", `expected target=source[:format], got "${spec}"`, "--map");
  }
  // The format starts at the first ":%" so that column names may contain colons.
  const fmt = rest.indexOf(":%");
  if (fmt < 0) return { target, source: rest };
  const format = rest.slice(fmt + 1);
  checkFormat(spec, format);
  return { target, source: rest.slice(0, fmt), format };
}

/** Turns a column header into a trait or property name: lower-case words joined by underscores. */
export function toIdentifier(header: string): string {
  const id = header
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (id === "") return "column";
  return /^[0-9]/.test(id) ? `c_${id}` : id;
}

/**
 * Decides, for a source, which column feeds each canonical field (explicit `--map` first, then a header
 * that matches the field's name ignoring case and punctuation) and what the other columns become.
 */
export function planColumns(
  kind: ImportKind,
  source: Pick<ImportSource, "label" | "noun" | "columns">,
  maps: readonly string[],
): ColumnPlan {
  const { label: where, noun, columns } = source;
  const canonical = CANONICAL[kind];
  const fields = new Map<string, FieldSource>();
  const renamed = new Map<string, string>(); // source column → extra name given by --map
  const used = new Set<string>();
  for (const spec of maps) {
    const m = parseMapping(spec);
    if (!columns.includes(m.source)) {
      throw new UserError(
        "unknown-column",
        `--map ${spec}: the ${noun} has no column "${m.source}" (columns: ${columns.join(", ")})`,
        where,
      );
    }
    if (canonical.some((f) => f.name === m.target)) {
      fields.set(
        m.target,
        m.format === undefined ? { column: m.source } : { column: m.source, format: m.format },
      );
    } else {
      if (m.format !== undefined) {
        throw new UserError(
          "bad-mapping",
          `--map ${spec}: a format applies only to a canonical timestamp column`,
          where,
        );
      }
      renamed.set(m.source, toIdentifier(m.target));
    }
    used.add(m.source);
  }
  for (const f of canonical) {
    if (fields.has(f.name)) continue;
    const match = columns.find((c) => !used.has(c) && normalizeHeader(c) === normalizeHeader(f.name));
    if (match !== undefined) {
      fields.set(f.name, { column: match });
      used.add(match);
    }
  }
  for (const [name, src] of fields) {
    const f = canonical.find((c) => c.name === name);
    if (src.format !== undefined && f?.type.kind !== "timestamp") {
      throw new UserError(
        "bad-mapping",
        `--map ${name}=${src.column}:${src.format}: ${name} is not a timestamp`,
        where,
      );
    }
  }
  const missing = canonical.filter(
    (f) => f.required && !fields.has(f.name) && DERIVED_WHEN_ABSENT[kind] !== f.name,
  );
  if (missing.length > 0) {
    const names = missing.map((f) => f.name).join(", ");
    throw new UserError(
      "missing-column",
      `a ${kind} ${noun} needs the column(s) ${names}; the ${noun} has ${columns.join(", ")}. Map one with --map ${missing[0]?.name}=<column>`,
      where,
    );
  }
  if (kind === "events" && !["customer_id", "user_id", "anonymous_id"].some((n) => fields.has(n))) {
    throw new UserError(
      "missing-column",
      `an events ${noun} needs customer_id, user_id or anonymous_id; the ${noun} has ${columns.join(", ")}`,
      where,
    );
  }
  const extras = columns
    .filter((c) => !used.has(c) || renamed.has(c))
    .map((c) => ({ column: c, name: renamed.get(c) ?? toIdentifier(c) }));
  const seen = new Map<string, string>();
  for (const e of extras) {
    const other = seen.get(e.name);
    if (other !== undefined) {
      throw new UserError(
        "duplicate-column",
        `columns "${other}" and "${e.column}" would both become "${e.name}"; rename one with --map`,
        where,
      );
    }
    seen.set(e.name, e.column);
  }
  return { fields, extras };
}
