import { readFileSync } from "node:fs";
import { parseIsoTime } from "../common/iso-time.js";
import { UserError } from "../errors.js";

/** Parses a whole number option, naming the option when it is not one. */
export function intOption(value: string | undefined, option: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UserError("bad-option", `expected a whole number ≥ ${min}, got "${value}"`, option);
  return n;
}

export function numberOption(
  value: string | undefined,
  option: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UserError("bad-option", `expected a number from ${min} to ${max}, got "${value}"`, option);
  }
  return n;
}

/** Parses an ISO 8601 date or timestamp option (UTC unless it carries an offset). */
export function dateOption(value: string | undefined, option: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = parseIsoTime(value);
  if (d === null) throw new UserError("bad-option", `not an ISO 8601 date: "${value}"`, option);
  return d;
}

/** The text of a file an option names (a template, a costs file, a secret); one that cannot be read is its error. */
export function optionFile(file: string, option: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "a folder, not a file"
          : (code ?? (e as Error).message);
    throw new UserError("bad-option", `cannot read ${file}: ${why}`, option);
  }
}
