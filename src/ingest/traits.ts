import { UserError } from "../errors.js";
import { BUILT_IN_ACCOUNT_COLUMNS, listAccountTraits, registerAccountTrait } from "../store/accounts.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import {
  BUILT_IN_CUSTOMER_COLUMNS,
  listTraits,
  registerTrait,
  type Trait,
  type TraitCategory,
  type TraitType,
} from "../store/trait-registry.js";
import type { ColumnPlan } from "./column-plan.js";
import type { ImportSource } from "./import-source.js";
import type { TypedExtra } from "./validate.js";

/** How NaN and the infinities are written (lower case): not numbers, though a number column may hold them by mistake. */
const NON_FINITE_SPELLINGS = ["nan", "inf", "infinity"].flatMap((w) => [w, `+${w}`, `-${w}`]);

/** Candidate types, narrowest first: a column takes the first one that parses every non-empty value. */
const INFERENCE_ORDER: readonly TraitType[] = ["integer", "number", "boolean", "date", "timestamp"];

/** Whose traits an import's extra columns are: a person's (customers) or a company's (accounts). */
export type TraitOwner = "customers" | "accounts";

/**
 * Infers the type of each new trait column from all its values (in SQL) and returns how every extra column must
 * parse: as its registered type for known traits, as the inferred one for new traits (`created`, registered only
 * by `registerTraits` once the import is sure to go ahead: this writes nothing). `owner` says which registry
 * (customers: trait_registry; accounts: account_traits, whose traits have no category and are not personal data).
 */
export async function prepareTraits(
  engine: Engine,
  source: ImportSource,
  plan: ColumnPlan,
  category: TraitCategory,
  pii: readonly string[],
  owner: TraitOwner = "customers",
): Promise<{ typed: TypedExtra[]; created: Trait[] }> {
  const d = engine.dialect;
  const accounts = owner === "accounts";
  const registered = accounts ? await listAccountTraits(engine) : await listTraits(engine);
  const known = new Map<string, { name: string; type: TraitType }>(registered.map((t) => [t.name, t]));
  const builtIn: readonly string[] = accounts ? BUILT_IN_ACCOUNT_COLUMNS : BUILT_IN_CUSTOMER_COLUMNS;
  for (const x of plan.extras) {
    if (builtIn.includes(x.name)) {
      const what = accounts ? "account trait" : "trait";
      throw new UserError(
        "reserved-column",
        `column "${x.column}" would become the ${what} "${x.name}", which is a built-in field${accounts ? ` of accounts (${builtIn.join(", ")})` : ""}; rename it with --map <${what.replace(" ", "_")}>=${x.column}`,
        source.label,
      );
    }
  }
  const fresh = plan.extras.filter((x) => !known.has(x.name));
  const typed: TypedExtra[] = [];
  const created: Trait[] = [];
  if (fresh.length > 0) {
    const parsers: Record<TraitType, (e: Sql) => Sql> = {
      integer: d.tryInteger,
      number: d.tryNumber,
      boolean: d.tryBoolean,
      date: (e) => d.tryDate(e),
      timestamp: (e) => d.tryTimestamp(e),
      string: (e) => e,
    };
    const counts = fresh.flatMap((x, i) => {
      const text = sql`NULLIF(trim(${sql.ident(x.column)}), '')`;
      return [
        sql`count(${text}) AS ${sql.raw(`n${i}`)}`,
        sql`count(CASE WHEN lower(${text}) IN (${sql.join(NON_FINITE_SPELLINGS.map((w) => sql.raw(d.literal(w))))}) THEN 1 END) AS ${sql.raw(`nf${i}`)}`,
        ...INFERENCE_ORDER.map((t) => sql`count(${parsers[t](text)}) AS ${sql.raw(`${t}${i}`)}`),
      ];
    });
    const r = (await engine.query(sql`SELECT ${sql.join(counts)} FROM ${source.relation} r`)).rows()[0] ?? {};
    for (const [i, x] of fresh.entries()) {
      const filled = Number(r[`n${i}`]);
      // A NaN or an infinity among numbers does not make the column text: it is a number column whose rows
      // holding one are rejected (no numeric trait is ever non-finite).
      const nonFinite = Number(r[`nf${i}`]);
      const fits = (t: TraitType): boolean => {
        const parsed = Number(r[`${t}${i}`]);
        const numeric = t === "integer" || t === "number";
        return numeric ? parsed > 0 && parsed === filled - nonFinite : parsed === filled;
      };
      // An empty column says nothing about its type: it stays text until values arrive.
      const type = filled === 0 ? "string" : (INFERENCE_ORDER.find(fits) ?? "string");
      const trait: Trait = {
        name: x.name,
        type,
        category,
        pii: pii.includes(x.name),
        sourceColumn: x.column,
      };
      created.push(trait);
    }
  }
  for (const x of plan.extras) {
    const t = known.get(x.name) ?? created.find((c) => c.name === x.name);
    if (t) typed.push({ name: t.name, column: x.column, type: t.type });
  }
  return { typed, created };
}

/** Registers the traits `prepareTraits` found new, each with its column in `customers` (or `accounts`). */
export async function registerTraits(
  engine: Engine,
  created: readonly Trait[],
  owner: TraitOwner = "customers",
): Promise<void> {
  for (const trait of created) {
    if (owner === "accounts") await registerAccountTrait(engine, trait);
    else await registerTrait(engine, trait);
  }
}
