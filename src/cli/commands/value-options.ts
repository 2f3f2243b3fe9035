import type { Command } from "commander";
import { UserError } from "../../errors.js";
import type { ValueContext } from "../../operations/value-operations.js";
import { DEFAULT_MIN_GROUP } from "../../privacy/small-groups.js";
import { intOption } from "../parse.js";

/** `--min-group k`: groups smaller than k people are suppressed (DESIGN principle 5). */
export function minGroupOption(cmd: Command): Command {
  return cmd.option(
    "--min-group <k>",
    `suppress figures of groups with fewer than k customers`,
    String(DEFAULT_MIN_GROUP),
  );
}

/** How a value report's time was chosen and what it left out, one line each (empty when there is nothing to say). */
export function contextLines(r: ValueContext): string[] {
  return [...(r.asOfChoice ? [r.asOfChoice.note] : []), ...r.notes.map((n) => `note: ${n}`)];
}

export function parseMinGroup(value: string | undefined): number {
  return intOption(value, "--min-group", 1) ?? DEFAULT_MIN_GROUP;
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
