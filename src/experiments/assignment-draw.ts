import { holdoutDraw } from "../activation/holdout.js";
import type { Dialect } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { HOLDOUT_VARIANT, type Variant } from "./variants.js";

/**
 * The draw behind every assignment: a number uniform in [0, 1) from the SHA-256 of `${seed}\0${customerId}` (its
 * first 52 bits), the same in SQL on every engine as in JavaScript (`holdoutDraw`), so a person's variant is a
 * function of the seed and their id alone.
 */

const TWO_POW_52 = 2 ** 52;

/** SQL: the draw of the person whose id is `customerId` under `seed` (exactly `holdoutDraw(seed, id)`). */
export function hashDrawSql(d: Dialect, seed: string, customerId: Sql): Sql {
  const hex = d.sha256Hex(sql`(${`${seed}\u0000`} || ${customerId})`);
  return sql`(${d.leadingHexNumber(hex, 13)} / ${sql.raw(`${TWO_POW_52}.0`)})`;
}

/**
 * Where each variant's interval of the draw ends: [0, holdout) is held out, then the rest split by the weights
 * in order (the last ends at 1). One list used by SQL and JavaScript alike, so both cut at the same doubles.
 */
export function variantCuts(
  variants: readonly Variant[],
  holdout: number,
): { name: string; below: number }[] {
  const cuts = [{ name: HOLDOUT_VARIANT, below: holdout }];
  let cumulative = 0;
  variants.forEach((v, i) => {
    cumulative += v.weight;
    cuts.push({ name: v.name, below: i === variants.length - 1 ? 1 : holdout + (1 - holdout) * cumulative });
  });
  return cuts;
}

/** The variant a draw falls in. */
export function variantOfDraw(draw: number, cuts: readonly { name: string; below: number }[]): string {
  for (const c of cuts) if (draw < c.below) return c.name;
  return cuts.at(-1)?.name as string;
}

/** A person's variant under a seed, weights and holdout (without the global holdout), in JavaScript. */
export function assignVariant(
  seed: string,
  customerId: string,
  variants: readonly Variant[],
  holdout: number,
): string {
  return variantOfDraw(holdoutDraw(seed, customerId), variantCuts(variants, holdout));
}

/** SQL: the variant a draw (an expression, e.g. a column holding `hashDrawSql`) falls in (as `variantOfDraw`). */
export function variantSql(draw: Sql, variants: readonly Variant[], holdout: number): Sql {
  const cuts = variantCuts(variants, holdout);
  const whens = cuts
    .slice(0, -1)
    .filter((c) => c.below > 0)
    .map((c) => sql`WHEN ${draw} < ${sql.param(c.below, "number")} THEN ${sql.param(c.name, "string")}`);
  const last = sql.param(cuts.at(-1)?.name as string, "string");
  return whens.length ? sql`CASE ${sql.join(whens, sql` `)} ELSE ${last} END` : last;
}
