import { UserError } from "../errors.js";

/**
 * An experiment's variants (issue 20, item 1): names and planned weights, the first the control. Written
 * `control:50,offer-a:25,offer-b:25` (percentages adding up to 100), stored as fractions (`{"name", "weight"}`).
 */

/** One variant and its planned share of the people not held out (0 < weight ≤ 1; the weights add up to 1). */
export interface Variant {
  readonly name: string;
  readonly weight: number;
}

/** The variant of the people held out of an experiment (its own holdout, or the global one): not a variant name. */
export const HOLDOUT_VARIANT = "holdout";

/** A variant's name: plain (letters, digits, - and _, at most 64), as a website's `variation_id` would send it. */
export const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** At most this many variants. */
export const MAX_VARIANTS = 20;

const WEIGHT = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/;

/** How a list of variants reads back: `control:50, offer-a:25`. */
export function variantsText(variants: readonly { name: string; weight: number }[], percent = true): string {
  return variants.map((v) => `${v.name}:${percent ? Math.round(v.weight * 1e6) / 1e4 : v.weight}`).join(", ");
}

/**
 * Reads `--variants control:50,offer-a:25,offer-b:25`: names and weights in percent (`50` or `50%`). Returns the
 * variants with weights as fractions, checked (`checkVariants`). `where` names the option or field.
 */
export function parseVariants(text: string, where = "--variants"): Variant[] {
  const parts = text.split(",").map((p) => p.trim());
  const out: { name: string; weight: number }[] = [];
  for (const part of parts) {
    const colon = part.lastIndexOf(":");
    if (colon < 0)
      throw new UserError(
        "bad-variants",
        `"${part}" has no weight: write NAME:PERCENT for each variant, e.g. control:50,offer-a:50`,
        where,
      );
    const m = WEIGHT.exec(part.slice(colon + 1));
    if (!m)
      throw new UserError(
        "bad-variants",
        `"${part}": the weight "${part.slice(colon + 1).trim()}" is not a percentage (e.g. control:50)`,
        where,
      );
    out.push({ name: part.slice(0, colon).trim(), weight: Number(m[1]) });
  }
  return checkVariants(out, where);
}

/**
 * Checks variants given with weights in percent: at least two and at most 20, names plain and unique (not
 * `holdout`), each weight above 0, all adding up to 100 (the error names the list). Returns weights as fractions.
 */
export function checkVariants(
  given: readonly { name: string; weight: number }[],
  where = "variants",
): Variant[] {
  if (given.length < 2)
    throw new UserError(
      "bad-variants",
      `an experiment needs at least two variants (the first is the control), got ${given.length === 0 ? "none" : `only ${given[0]?.name}`}`,
      where,
    );
  if (given.length > MAX_VARIANTS)
    throw new UserError("bad-variants", `at most ${MAX_VARIANTS} variants, got ${given.length}`, where);
  const seen = new Map<string, string>();
  for (const v of given) {
    if (!VARIANT_NAME.test(v.name))
      throw new UserError(
        "bad-variants",
        `variant "${v.name}": a name is letters, digits, - and _ (at most 64), starting with a letter or digit`,
        where,
      );
    if (v.name.toLowerCase() === HOLDOUT_VARIANT)
      throw new UserError(
        "bad-variants",
        `"${HOLDOUT_VARIANT}" is the name of the people held out (--holdout): name the variant otherwise`,
        where,
      );
    const before = seen.get(v.name.toLowerCase());
    if (before !== undefined)
      throw new UserError(
        "bad-variants",
        before === v.name
          ? `variant "${v.name}" is given twice`
          : `variants "${before}" and "${v.name}" differ only in case: name them apart`,
        where,
      );
    seen.set(v.name.toLowerCase(), v.name);
    if (!Number.isFinite(v.weight) || v.weight <= 0 || v.weight > 100)
      throw new UserError(
        "bad-variants",
        `variant "${v.name}": a weight is a percentage above 0 and at most 100, got ${v.weight}`,
        where,
      );
  }
  const total = given.reduce((s, v) => s + v.weight, 0);
  if (Math.abs(total - 100) > 1e-9)
    throw new UserError(
      "bad-weights",
      `the weights of ${variantsText(given, false)} add up to ${Math.round(total * 1e6) / 1e6}, not 100`,
      where,
    );
  // Read as the decimals they are written as (12.5 → 0.125).
  return given.map((v) => ({ name: v.name, weight: Number(`${v.weight}e-2`) }));
}

/**
 * The weights as stored or written by a bandit (`[{"name", "weight"}]` or `{"name": weight}`, fractions) for the
 * experiment's variants, in the variants' order; null when they do not name exactly those variants or do not add
 * up to 1 (the planned weights are used then).
 */
export function weightsFor(stored: unknown, variants: readonly Variant[]): Variant[] | null {
  const value = typeof stored === "string" ? safeJson(stored) : stored;
  const byName = new Map<string, number>();
  if (Array.isArray(value)) {
    for (const x of value)
      if (x && typeof x === "object" && typeof x.name === "string" && typeof x.weight === "number")
        byName.set(x.name, x.weight);
  } else if (value && typeof value === "object")
    for (const [k, w] of Object.entries(value)) if (typeof w === "number") byName.set(k, w);
  if (byName.size !== variants.length) return null;
  const out = variants.map((v) => ({ name: v.name, weight: byName.get(v.name) ?? Number.NaN }));
  const total = out.reduce((s, v) => s + v.weight, 0);
  if (out.some((v) => !Number.isFinite(v.weight) || v.weight < 0) || Math.abs(total - 1) > 1e-6) return null;
  return out.map((v) => ({ name: v.name, weight: v.weight / total }));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
