import { z } from "zod";
import { UserError } from "../errors.js";

/**
 * A Thompson-sampling bandit's settings (issue 20, item 4): what `experiments.bandit` holds (JSON), null for an
 * experiment with a fixed split. Written by `tessera experiment create --bandit [--min-share 10%] [--update-every
 * 1d]`, read by `tessera experiment bandit ID` (bandit.ts).
 *
 * Stored as `{"min_share": 0.1, "update_every": "1d", "metric": "…"?}`: the interval keeps its text (what the user
 * wrote, shown back as such) and is read with `parseInterval`.
 */
export interface BanditSettings {
  /** Every arm keeps at least this share of new people (0 to 1/arms; default 0.1). */
  readonly min_share: number;
  /** The shortest time between two updates: `12h`, `1d`, `1w` (default `1d`). */
  readonly update_every: string;
  /** The metric the bandit optimises (a metric text of the experiment); default its first metric. */
  readonly metric?: string;
}

export const DEFAULT_BANDIT_SETTINGS: BanditSettings = { min_share: 0.1, update_every: "1d" };

const HOUR_MS = 3_600_000;
const UNIT_HOURS: Record<string, number> = { h: 1, d: 24, w: 168 };

/** Reads an update interval (`12h`, `1d`, `2w`: 1 hour to 52 weeks) as milliseconds; `where` names the option. */
export function parseInterval(text: string, where = "--update-every"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([hdw])\s*$/.exec(text);
  if (!m)
    throw new UserError(
      "bad-interval",
      `"${text}" is not an interval: write hours, days or weeks, e.g. 12h, 1d, 1w`,
      where,
    );
  const hours = Number(m[1]) * (UNIT_HOURS[m[2] as string] as number);
  if (!(hours >= 1 && hours <= 52 * 168))
    throw new UserError("bad-interval", `an update interval is from 1 hour to 52 weeks, got ${text}`, where);
  return hours * HOUR_MS;
}

/**
 * Reads a minimum share: a percentage (`10%`) or a fraction (`0.1`), from 0 up to 1/arms (every arm at the
 * minimum is an equal split; more cannot hold for all of them). `arms` may be left out when not known yet.
 */
export function parseMinShare(text: string | number, where = "--min-share", arms?: number): number {
  const s = String(text).trim();
  const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(s);
  if (!m) throw new UserError("bad-min-share", `"${s}" is not a share: write e.g. 10% or 0.1`, where);
  const share = m[2] === "%" ? Number(`${m[1]}e-2`) : Number(m[1]);
  return checkMinShare(share, where, arms);
}

/** A minimum share, checked: 0 ≤ share ≤ 1/arms (and < 1 when the arms are not known). */
export function checkMinShare(share: number, where = "--min-share", arms?: number): number {
  const cap = arms !== undefined && arms > 0 ? 1 / arms : 1;
  if (!Number.isFinite(share) || share < 0 || share > cap + 1e-12 || share >= 1)
    throw new UserError(
      "bad-min-share",
      arms !== undefined
        ? `a minimum share is from 0 to 1/${arms} (${Math.round(10000 / arms) / 100}%) with ${arms} arms, got ${share}`
        : `a minimum share is from 0 up to 1, got ${share}`,
      where,
    );
  return share;
}

/** The stored JSON's schema (snake_case, as stored), with its defaults. */
export const BanditSettingsSchema = z
  .object({
    min_share: z.number().min(0).lt(1).default(DEFAULT_BANDIT_SETTINGS.min_share),
    update_every: z
      .string()
      .default(DEFAULT_BANDIT_SETTINGS.update_every)
      .refine((t) => {
        try {
          parseInterval(t);
          return true;
        } catch {
          return false;
        }
      }, "an interval such as 12h, 1d or 1w (1 hour to 52 weeks)"),
    metric: z.string().min(1).optional(),
  })
  .strict();

/** Reads `experiments.bandit` as stored (JSON text, an object, or null: not a bandit). */
export function banditSettingsOf(stored: unknown): BanditSettings | null {
  if (stored === null || stored === undefined) return null;
  const value = typeof stored === "string" ? (JSON.parse(stored) as unknown) : stored;
  if (value === null) return null;
  const r = BanditSettingsSchema.safeParse(value);
  if (!r.success)
    throw new UserError(
      "bad-bandit-settings",
      `stored bandit settings are not valid: ${r.error.message}`,
      "bandit",
    );
  return r.data;
}
