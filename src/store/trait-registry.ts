import { UserError } from "../errors.js";
import type { ColumnType, Engine } from "./engine.js";
import { sql } from "./sql.js";

export const TRAIT_CATEGORIES = [
  "demographic",
  "geographic",
  "psychographic",
  "behavioral",
  "technographic",
  "value",
  // Traits a decision must not turn on (gender, age, ethnicity, health): the fairness check (src/privacy/fairness.ts)
  // compares a segment's composition by each of them with the whole base.
  "sensitive",
  "custom",
] as const;
export type TraitCategory = (typeof TRAIT_CATEGORIES)[number];

export const TRAIT_TYPES = ["string", "integer", "number", "boolean", "date", "timestamp"] as const;
export type TraitType = (typeof TRAIT_TYPES)[number] & ColumnType;

export interface Trait {
  readonly name: string;
  readonly type: TraitType;
  readonly category: TraitCategory;
  readonly pii: boolean;
  readonly sourceColumn: string | null;
}

/** Columns of `customers` that are not traits: a file column may not take these names. */
export const BUILT_IN_CUSTOMER_COLUMNS = [
  "customer_id",
  "email",
  "phone",
  "first_name",
  "last_name",
  "first_seen",
  "last_seen",
  "profile_at",
  "created_at",
  "updated_at",
] as const;

/** The contact fields that are personal data by nature. */
export const PII_CUSTOMER_COLUMNS = ["email", "phone", "first_name", "last_name"] as const;

export function parseCategory(value: string): TraitCategory {
  const c = value.trim().toLowerCase();
  if ((TRAIT_CATEGORIES as readonly string[]).includes(c)) return c as TraitCategory;
  throw new UserError(
    "bad-category",
    `unknown trait category "${value}" (expected one of ${TRAIT_CATEGORIES.join(", ")})`,
    "--category",
  );
}

export async function listTraits(engine: Engine): Promise<Trait[]> {
  const r = await engine.query(
    "SELECT name, type, category, pii, source_column FROM trait_registry ORDER BY name",
  );
  return r.rows<Record<string, unknown>>().map((t) => ({
    name: String(t.name),
    type: t.type as TraitType,
    category: t.category as TraitCategory,
    pii: t.pii === true,
    sourceColumn: (t.source_column as string | null) ?? null,
  }));
}

/** Registers a trait and adds its typed column to `customers`. */
export async function registerTrait(engine: Engine, trait: Trait): Promise<void> {
  const d = engine.dialect;
  await engine.run(d.addColumn("customers", { name: trait.name, type: trait.type }));
  await engine.run(
    sql`INSERT INTO trait_registry (name, type, category, pii, source_column, created_at)
        VALUES (${trait.name}, ${trait.type}, ${trait.category}, ${trait.pii}, ${sql.param(trait.sourceColumn, "string")}, ${d.now()})`,
  );
}

/** Changes a registered trait's PII flag and category (`tessera traits set`); the trait must exist. */
export async function setTraitFlags(
  engine: Engine,
  name: string,
  change: { readonly pii?: boolean; readonly category?: TraitCategory },
): Promise<void> {
  const d = engine.dialect;
  const set = [
    ...(change.pii === undefined ? [] : [sql`pii = ${change.pii}`]),
    ...(change.category === undefined ? [] : [sql`category = ${change.category}`]),
  ];
  if (set.length === 0) return;
  await engine.run(d.updateWhere("trait_registry", sql.join(set), sql`name = ${name}`));
}
