import type { Command } from "commander";
import { UserError } from "../../errors.js";
import type { ValueContext } from "../../operations/value-operations.js";
import { suppressedLabel } from "../../privacy/k-gate.js";
import { MIN_GROUP_FLOOR } from "../../privacy/settings.js";
import { intOption } from "../parse.js";

/**
 * `--min-group k`: groups smaller than k people are suppressed (DESIGN principle 5). Always on: the database's
 * `min_group` setting is the k (tessera privacy settings); this option may only raise it.
 */
export function minGroupOption(cmd: Command): Command {
  return cmd.option(
    "--min-group <k>",
    "suppress figures of groups with fewer than k customers (default and minimum: the min_group privacy setting)",
  );
}

/** How a value report's time was chosen and what it left out, one line each (empty when there is nothing to say). */
export function contextLines(r: ValueContext): string[] {
  return [...(r.asOfChoice ? [r.asOfChoice.note] : []), ...r.notes.map((n) => `note: ${n}`)];
}

/** The k asked for with --min-group, if any (never below the floor; the operation refuses one below the setting). */
export function parseMinGroup(value: string | undefined): { minGroup?: number } {
  const k = intOption(value, "--min-group", MIN_GROUP_FLOOR);
  return k === undefined ? {} : { minGroup: k };
}

/** A count the k-gate may have suppressed, as a table shows it: the number, or `<k`. */
export function gatedCount(n: number | null | undefined, k: number): string | number {
  return n === null || n === undefined ? suppressedLabel(k) : n;
}

/** The same, as text: `1,234` or `<10`. */
export function gatedText(n: number | null | undefined, k: number): string {
  return n === null || n === undefined ? suppressedLabel(k) : n.toLocaleString("en-US");
}

/** One of a fixed set of words, naming the option when it is not. */
export function choiceOption<T extends string>(
  value: string | undefined,
  option: string,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  const v = value.toLowerCase();
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new UserError("bad-option", `expected one of ${choices.join(", ")}, got "${value}"`, option);
}

/** A comma-separated list of numbers (`30,90,180,365`). */
export function numberListOption(value: string | undefined, option: string): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === "") || nums.some((n) => !Number.isFinite(n)))
    throw new UserError("bad-option", `expected numbers separated by commas, got "${value}"`, option);
  return nums;
}

export function pct(x: number | null): string {
  return x === null ? "" : `${(100 * x).toFixed(1)}%`;
}

export function num(x: number | null, digits = 2): string {
  return x === null
    ? ""
    : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}
