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
