import { UserError } from "../errors.js";
import type { Dialect, Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type BudgetPeriod, budgetPolicy } from "./budget.js";
import { privacyParameter } from "./noise-mechanisms.js";
import { fromNumber } from "./rational.js";

/**
 * The privacy settings of a database (issue 17): the smallest group an aggregate may describe (`min_group`, the k
 * of the k-gate) and the optional differential privacy of the reports analysts read. Stored in `privacy_settings`
 * (migration 13), one row per setting changed from its default; a setting never set has its default.
 */

/** The smallest k anyone may set: below 5, a cell of a report comes too close to naming its people. */
export const MIN_GROUP_FLOOR = 5;
/** The default k: aggregates over fewer than 10 people are suppressed. */
export const DEFAULT_MIN_GROUP = 10;

const PERIODS: readonly BudgetPeriod[] = ["day", "week", "month", "year", "lifetime"];

export interface PrivacySettings {
  /** k: a cell over 1 to k−1 people is suppressed. */
  readonly min_group: number;
  /** Noise on the counts and sums analysts read. */
  readonly dp: boolean;
  /** ε charged for one noisy report (decimal text, read exactly: 0.1 is 1/10). */
  readonly dp_epsilon_per_query: string;
  /** ε each caller may spend per period. */
  readonly dp_budget: string;
  readonly dp_period: BudgetPeriod;
}

export type SettingName = keyof PrivacySettings;

export const PRIVACY_DEFAULTS: PrivacySettings = {
  min_group: DEFAULT_MIN_GROUP,
  dp: false,
  dp_epsilon_per_query: "0.1",
  dp_budget: "1",
  dp_period: "month",
};

export const SETTING_NAMES = Object.keys(PRIVACY_DEFAULTS) as SettingName[];

/** What each setting means, for `tessera privacy settings` and the API's documentation. */
export const SETTING_HELP: Readonly<Record<SettingName, string>> = {
  min_group: `smallest group an aggregate may describe (k; at least ${MIN_GROUP_FLOOR})`,
  dp: "noise on the counts and sums analysts read (on/off)",
  dp_epsilon_per_query: "privacy cost ε of one noisy report",
  dp_budget: "ε each caller may spend per period",
  dp_period: `the budget's period: ${PERIODS.join(", ")}`,
};

/** A decimal as text, without exponent or sign (exactly readable as a rational). */
const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Reads a setting's value as given (text from the command line, text, number or boolean from the API), checked:
 * a value out of range is refused with the reason, naming the setting.
 */
export function parseSetting(name: string, value: unknown): PrivacySettings[SettingName] {
  const where = `privacy setting ${name}`;
  const text = typeof value === "string" ? value.trim() : String(value);
  switch (name) {
    case "min_group": {
      const k = typeof value === "number" ? value : /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(k))
        throw new UserError("bad-setting", `expected a whole number, got "${text}"`, where);
      if (k < MIN_GROUP_FLOOR)
        throw new UserError(
          "bad-setting",
          `${k} is below the floor of ${MIN_GROUP_FLOOR}: groups that small come too close to naming their people`,
          where,
        );
      return k;
    }
    case "dp": {
      if (value === true || ["on", "true", "yes", "1"].includes(text.toLowerCase())) return true;
      if (value === false || ["off", "false", "no", "0"].includes(text.toLowerCase())) return false;
      throw new UserError("bad-setting", `expected on or off, got "${text}"`, where);
    }
    case "dp_epsilon_per_query":
    case "dp_budget": {
      if (!DECIMAL.test(text))
        throw new UserError("bad-setting", `expected a positive decimal number, got "${text}"`, where);
      // The mechanisms' and the budget's own checks (ranges, > 0), with the setting named.
      try {
        if (name === "dp_budget") budgetPolicy("epsilon", fromNumber(Number(text)), "month");
        else privacyParameter(fromNumber(Number(text)), "epsilon");
      } catch (e) {
        if (e instanceof UserError) throw new UserError("bad-setting", e.reason, where);
        throw e;
      }
      return text;
    }
    case "dp_period": {
      if (!(PERIODS as readonly string[]).includes(text))
        throw new UserError("bad-setting", `expected one of ${PERIODS.join(", ")}, got "${text}"`, where);
      return text as BudgetPeriod;
    }
    default:
      throw new UserError(
        "unknown-setting",
        `unknown setting; the settings are ${SETTING_NAMES.join(", ")}`,
        where,
      );
  }
}

/** The text a value is stored as. */
function stored(value: PrivacySettings[SettingName]): string {
  return typeof value === "boolean" ? (value ? "on" : "off") : String(value);
}

/** One setting as `privacy.settings` reports it. */
export interface SettingRow {
  readonly name: SettingName;
  readonly value: PrivacySettings[SettingName];
  readonly default: PrivacySettings[SettingName];
  readonly description: string;
  /** When and by whom it was last set; null while it has its default. */
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/** The settings as stored, each with when and by whom it was set (none on a database made before migration 13). */
export async function readSettingRows(engine: Engine): Promise<SettingRow[]> {
  const set = new Map<string, { value: string; at: string; by: string }>();
  // The table exists in every database a store opens (openStore brings it to the newest schema); not asking the
  // catalogue first saves a third of the cost of `segment list`, which reads the settings for its k.
  const r = await engine.query(
    sql`SELECT name, value, updated_at, updated_by FROM privacy_settings ORDER BY updated_at`,
  );
  // One row per name (a set replaces it); ordered anyway, so that the latest would win.
  for (const row of r.rows<{ name: string; value: string; updated_at: unknown; updated_by: string }>())
    set.set(row.name, { value: row.value, at: isoOf(row.updated_at), by: row.updated_by });
  return SETTING_NAMES.map((name) => {
    const s = set.get(name);
    return {
      name,
      value: s ? parseSetting(name, s.value) : PRIVACY_DEFAULTS[name],
      default: PRIVACY_DEFAULTS[name],
      description: SETTING_HELP[name],
      updatedAt: s?.at ?? null,
      updatedBy: s?.by ?? null,
    };
  });
}

function isoOf(v: unknown): string {
  const d = v instanceof Date ? v : new Date(String(v).replace(" ", "T").replace(/(\d)$/, "$1Z"));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString();
}

/** The privacy settings in force. */
export async function loadPrivacySettings(engine: Engine): Promise<PrivacySettings> {
  const rows = await readSettingRows(engine);
  return Object.fromEntries(rows.map((r) => [r.name, r.value])) as unknown as PrivacySettings;
}

/**
 * SQL of a one-row relation with the stored `min_group` (column `min_group`: its text, NULL or empty when never
 * set), so that a report reads its k in the query that reads its counts (`segment list`, polled by dashboards, pays
 * for one query less). `minGroupOf` reads the value.
 */
export function minGroupSql(d: Dialect): Sql {
  return sql`SELECT ${d.argMax(sql`value`, sql`updated_at`)} AS min_group FROM privacy_settings WHERE name = 'min_group'`;
}

/** The `min_group` in force from what `minGroupSql` read (an aggregate of no rows: NULL, or "" on ClickHouse). */
export function minGroupOf(stored: unknown): number {
  return stored === null || stored === undefined || stored === ""
    ? PRIVACY_DEFAULTS.min_group
    : (parseSetting("min_group", String(stored)) as number);
}

/** Sets one setting (checked first: a refused value changes nothing); returns the value now in force. */
export async function writeSetting(
  engine: Engine,
  name: string,
  value: unknown,
  who: string,
): Promise<{
  name: SettingName;
  value: PrivacySettings[SettingName];
  previous: PrivacySettings[SettingName];
}> {
  const parsed = parseSetting(name, value);
  const previous = (await loadPrivacySettings(engine))[name as SettingName];
  await engine.run(engine.dialect.deleteWhere("privacy_settings", sql`name = ${name}`));
  await engine.run(
    sql`INSERT INTO privacy_settings (name, value, updated_at, updated_by)
        VALUES (${name}, ${stored(parsed)}, ${engine.dialect.now()}, ${who})`,
  );
  return { name: name as SettingName, value: parsed, previous };
}

/**
 * The k a report uses: the setting's, raised (never lowered) by the k a caller asks for. Asking for less than
 * the setting is refused with the reason, so nobody believes a report used a k it did not.
 */
export function effectiveMinGroup(settings: Pick<PrivacySettings, "min_group">, asked?: number): number {
  if (asked === undefined) return settings.min_group;
  if (asked < settings.min_group)
    throw new UserError(
      "bad-input",
      `${asked} is below this database's smallest group (min_group ${settings.min_group}): --min-group may only raise it`,
      // Named as the command line names it, as the domain's other options are (--as-of, --top).
      "--min-group",
    );
  return asked;
}
