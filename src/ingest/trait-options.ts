import { EMAIL_PATTERN } from "../common/contact-formats.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { listTraits, PII_CUSTOMER_COLUMNS, setTraitFlags, type Trait } from "../store/trait-registry.js";
import { type ColumnPlan, toIdentifier } from "./column-plan.js";
import type { ImportSource } from "./import-source.js";
import type { ImportKind, ImportSettings } from "./import-types.js";

/**
 * A plausible phone number: an optional `+`, digits with blanks, dots, dashes or parentheses between them, and
 * 7 to 15 digits in all (E.164's most); a date (`2024-01-05`) is not one.
 */
const PHONE_PATTERN = "\\+?[0-9(][0-9 ().-]{5,22}[0-9]";
const DATE_LIKE = "[0-9]{4}-[0-9]{2}-[0-9]{2}.*";
/** Names that say a column holds contact details, whatever its values (an empty column too). */
const CONTACT_NAME = /(^|_)(e_?mail|phone|mobile|cell|telephone|tel)(_|$)/;

/** What `--pii` and `--category` do to an import's traits, decided before anything is written. */
export interface TraitOptions {
  /** The traits the import creates, with their PII flag: asked for, or found from the name or the values. */
  readonly created: Trait[];
  /** Stored traits `--pii` names that were not personal data yet: flagged once the import goes ahead. */
  readonly marked: string[];
  /** What the user should know: traits flagged by their values, options that left stored traits as they were. */
  readonly notes: string[];
}

/**
 * Checks `--pii` and `--category` against the import and decides each trait's flags (nothing is written):
 * - both apply to a customers import (its columns become traits): given with another kind, they are an error;
 * - every `--pii` name must be a trait the import has (its name or its column's, any case) or a contact field
 *   (personal data already); any other name is an error naming the traits it has;
 * - a new trait is personal data when `--pii` names it, when its name says it is a contact (email, phone, …),
 *   or when most of its values look like email addresses or phone numbers (each such finding is a note);
 * - a stored trait named by `--pii` is flagged personal data (never unflagged: `tessera traits set --no-pii`);
 * - `--category` sets the category of the traits the import creates; stored traits keep theirs, and a note
 *   names those that differ and the command that changes them.
 */
export async function resolveTraitOptions(
  engine: Engine,
  kind: ImportKind,
  source: ImportSource,
  plan: ColumnPlan,
  created: readonly Trait[],
  settings: Pick<ImportSettings, "pii" | "category">,
): Promise<TraitOptions> {
  const file = source.noun === "file";
  const piiFlag = file ? "--pii" : "pii";
  const pii = settings.pii ?? [];
  if (kind !== "customers") {
    const given = [
      ...(pii.length > 0 ? [piiFlag] : []),
      ...(settings.category !== undefined ? [file ? "--category" : "category"] : []),
    ];
    if (given.length > 0)
      throw new UserError(
        "bad-option",
        kind === "accounts"
          ? `${given.join(" and ")} apply to a customers import (a person's traits); an accounts import's columns are the company's traits, which have neither`
          : `${given.join(" and ")} apply to a customers import (its columns become traits); a ${kind} import creates no traits`,
        source.label,
      );
    return { created: [], marked: [], notes: [] };
  }
  const traitOf = new Map<string, string>(); // a name as the user may write it → the trait's name
  for (const x of plan.extras) {
    traitOf.set(x.name.toLowerCase(), x.name);
    traitOf.set(x.column.toLowerCase(), x.name);
    traitOf.set(toIdentifier(x.column), x.name);
  }
  const named = new Set<string>();
  for (const given of pii) {
    const name = given.trim();
    if (name === "") continue;
    const trait = traitOf.get(name.toLowerCase()) ?? traitOf.get(toIdentifier(name));
    if (trait !== undefined) named.add(trait);
    else if (!(PII_CUSTOMER_COLUMNS as readonly string[]).includes(name.toLowerCase()))
      throw new UserError(
        "unknown-trait",
        `${piiFlag} ${name}: the ${source.noun} has no column that becomes the trait "${name}" (its traits: ${plan.extras.map((x) => x.name).join(", ") || "none"})`,
        source.label,
      );
  }
  const notes: string[] = [];
  const found = await contactColumns(engine, source, created);
  const flagged = created.map((t) => {
    if (t.pii || named.has(t.name)) return { ...t, pii: true };
    const reason = CONTACT_NAME.test(t.name) ? "its name says it is a contact detail" : found.get(t.name);
    if (reason === undefined) return t;
    notes.push(
      `trait ${t.name} is personal data (${reason}); if it is not: tessera traits set ${t.name} --no-pii`,
    );
    return { ...t, pii: true };
  });
  const fresh = new Set(created.map((t) => t.name));
  const stored = (await listTraits(engine)).filter((t) => plan.extras.some((x) => x.name === t.name));
  const marked = stored.filter((t) => named.has(t.name) && !t.pii && !fresh.has(t.name)).map((t) => t.name);
  for (const name of marked) notes.push(`trait ${name} is now personal data (${piiFlag})`);
  if (settings.category !== undefined) {
    const other = stored.filter((t) => t.category !== settings.category?.trim().toLowerCase());
    if (other.length > 0) {
      const first = other[0]?.name ?? "";
      notes.push(
        `--category ${settings.category} applies to new traits: ${other.map((t) => `${t.name} (${t.category})`).join(", ")} keep their category; change one with tessera traits set ${first} --category ${settings.category}`,
      );
    }
  }
  return { created: flagged, marked, notes };
}

/** New text traits most of whose values look like email addresses or phone numbers, with the reason. */
async function contactColumns(
  engine: Engine,
  source: ImportSource,
  created: readonly Trait[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const text = created.filter((t) => t.type === "string" && !t.pii && t.sourceColumn !== null);
  if (text.length === 0) return found;
  const d = engine.dialect;
  const matches = (e: ReturnType<typeof sql>, pattern: string) =>
    d.regexMatches(e, sql.raw(d.literal(pattern)));
  const counts = text.flatMap((t, i) => {
    const v = sql`NULLIF(trim(${sql.ident(t.sourceColumn ?? "")}), '')`;
    const digits = sql`length(${d.regexReplace(v, sql.raw(d.literal("[^0-9]")), sql.raw(d.literal("")))})`;
    return [
      sql`count(${v}) AS ${sql.raw(`n${i}`)}`,
      d.aggIf("count", [], sql`${v} IS NOT NULL AND ${matches(v, EMAIL_PATTERN)}`),
      d.aggIf(
        "count",
        [],
        sql`${v} IS NOT NULL AND ${matches(v, PHONE_PATTERN)} AND NOT ${matches(v, DATE_LIKE)} AND ${digits} BETWEEN 7 AND 15`,
      ),
    ].map((e, k) => (k === 0 ? e : sql`${e} AS ${sql.raw(`${k === 1 ? "e" : "p"}${i}`)}`));
  });
  const r = (await engine.query(sql`SELECT ${sql.join(counts)} FROM ${source.relation} r`)).rows()[0] ?? {};
  for (const [i, t] of text.entries()) {
    const filled = Number(r[`n${i}`]);
    // Most, not all: a column of addresses with a few typos is still a column of addresses.
    if (filled === 0) continue;
    if (Number(r[`e${i}`]) * 2 > filled) found.set(t.name, "its values look like email addresses");
    else if (Number(r[`p${i}`]) * 2 > filled) found.set(t.name, "its values look like phone numbers");
  }
  return found;
}

/** Flags stored traits as personal data (the `marked` of `resolveTraitOptions`, once the import goes ahead). */
export async function markPii(engine: Engine, names: readonly string[]): Promise<void> {
  for (const name of names) await setTraitFlags(engine, name, { pii: true });
}
