import { z } from "zod";
import { parseIsoTime } from "../common/iso-time.js";
import { MIN_GROUP_FLOOR } from "../privacy/settings.js";

/**
 * Building blocks of the operations' input schemas, so that every operation reads a time, a count or a share
 * the same way, from the CLI (already typed) and from JSON (text).
 */

/**
 * A moment: a Date, or ISO 8601 text (a date alone is its midnight UTC; no offset means UTC), in the years 0001 to
 * 9999. JavaScript reaches further (`+099999-01-01`), the engines do not: such a time failed inside the engine's SQL
 * instead of being refused here.
 */
export const isoTime = z
  .union([z.date(), z.string()], { error: "expected an ISO 8601 date or time" })
  .transform((v, ctx) => {
    const d = v instanceof Date ? v : parseIsoTime(v);
    if (d === null || Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: "custom", message: `not an ISO 8601 date: "${String(v)}"` });
      return z.NEVER;
    }
    const year = d.getUTCFullYear();
    if (year < 1 || year > 9999) {
      ctx.addIssue({ code: "custom", message: `${d.toISOString()} is outside the years 0001 to 9999` });
      return z.NEVER;
    }
    return d;
  });

/** A whole number of at least `min`. */
export const wholeNumber = (min = 0) => z.number().int().min(min);

/** A share of a whole, from 0 to 1. */
export const share = z.number().min(0).max(1);

/**
 * Groups smaller than this many people are suppressed (DESIGN.md principle 5): a k that raises the database's
 * `min_group` setting for one report (never below the floor of 5; below the setting, the operation refuses it).
 */
export const minGroup = wholeNumber(MIN_GROUP_FLOOR);
