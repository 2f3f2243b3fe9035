/**
 * `clv validate`: fit on the calibration period, predict each customer's repeat purchases in the holdout
 * (the calibration end to the holdout end), and compare with what they did — overall and by calibration
 * frequency, the classic BG/NBD check (Fader, Hardie & Lee 2005, figure 4).
 */
import { UserError } from "../errors.js";
import { suppressPartition } from "../privacy/k-gate.js";
import { DEFAULT_MIN_GROUP, suppress } from "../privacy/small-groups.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { conditionalExpectedPurchases } from "./bgnbd-predict.js";
import { type ClvFit, fitOnSummary, resolveCalibrationEnd } from "./clv.js";
import {
  buildSummary,
  dayOf,
  isoDay,
  purchaseSpan,
  purchaseTuples,
  SUMMARY,
  type TimeUnit,
  UNIT_DAYS,
} from "./summaries.js";

export interface ClvValidateOptions {
  readonly calibrationEnd: Date;
  /** Last day of the holdout (inclusive); default: `defaultHoldoutEnd`, else the last purchase day. */
  readonly holdoutEnd?: Date;
  /** The default holdout end chosen by the caller's policy (the last purchase day not after now). */
  readonly defaultHoldoutEnd?: Date;
  readonly unit: TimeUnit;
  readonly minGroup?: number;
}

/** Predicted against actual repeat purchases of one group of customers. */
export interface HoldoutComparison {
  readonly customers: number | null;
  readonly actual: number | null;
  readonly predicted: number | null;
  /** predicted − actual */
  readonly error: number | null;
  /** (predicted − actual) / actual */
  readonly relativeError: number | null;
  /** Mean over customers of |predicted − actual|. */
  readonly meanAbsoluteError: number | null;
  readonly suppressed: boolean;
}

export interface ClvValidation {
  readonly calibrationEnd: string;
  readonly holdoutEnd: string;
  /** Holdout length in the model's unit. */
  readonly holdoutLength: number;
  readonly unit: TimeUnit;
  readonly fit: ClvFit;
  readonly overall: HoldoutComparison;
  /** Groups by repeat purchases in the calibration period: "0" … "6", "7+". */
  readonly byFrequency: readonly (HoldoutComparison & { readonly frequency: string })[];
}

/** The highest calibration frequency with a group of its own; the last group is this or more. */
const TOP_FREQUENCY = 7;

/** Predicted holdout purchases per distinct (x, t_x, T) (a session temporary table). */
const HOLDOUT_PREDICTIONS = "_clv_holdout_predictions";

export async function validateClv(engine: Engine, opts: ClvValidateOptions): Promise<ClvValidation> {
  const endDay = await resolveCalibrationEnd(engine, opts.calibrationEnd, "--calibration-end");
  const span = await purchaseSpan(engine);
  const last = span?.last ?? endDay;
  const holdoutEndDay =
    opts.holdoutEnd !== undefined
      ? dayOf(opts.holdoutEnd)
      : opts.defaultHoldoutEnd !== undefined
        ? dayOf(opts.defaultHoldoutEnd)
        : last;
  if (holdoutEndDay <= endDay)
    throw new UserError(
      "bad-option",
      opts.holdoutEnd === undefined
        ? `no purchases after ${isoDay(endDay)}: choose an earlier calibration end to leave a holdout period`
        : `${isoDay(holdoutEndDay)} is not after the calibration end ${isoDay(endDay)}`,
      opts.holdoutEnd === undefined ? "--calibration-end" : "--holdout-end",
    );
  if (holdoutEndDay > last)
    throw new UserError(
      "bad-option",
      `${isoDay(holdoutEndDay)} is after the last purchase (${isoDay(last)})`,
      "--holdout-end",
    );
  const t0 = performance.now();
  await buildSummary(engine, endDay, holdoutEndDay);
  const fit = await fitOnSummary(engine, opts.unit, isoDay(endDay), (performance.now() - t0) / 1000);
  const holdoutLength = (holdoutEndDay - endDay) / UNIT_DAYS[opts.unit];
  const t = await purchaseTuples(engine, opts.unit);
  const predicted = new Float64Array(t.x.length);
  for (let i = 0; i < t.x.length; i++) {
    predicted[i] = conditionalExpectedPurchases(
      fit.bgnbd,
      holdoutLength,
      t.x[i] as number,
      t.tx[i] as number,
      t.T[i] as number,
    );
  }
  await engine.appendTemp(HOLDOUT_PREDICTIONS, [
    { name: "x", type: "integer", values: t.x },
    { name: "tx_days", type: "integer", values: t.days.tx },
    { name: "t_days", type: "integer", values: t.days.T },
    { name: "predicted", type: "number", values: predicted },
  ]);
  const top = sql.raw(String(TOP_FREQUENCY));
  const r = await engine.query(
    sql`SELECT CASE WHEN s.x >= ${top} THEN ${sql.raw(engine.dialect.literal(`${TOP_FREQUENCY}+`))}
                    ELSE ${engine.dialect.toText(sql`s.x`)} END AS frequency,
               min(s.x) AS sort_key, count(*) AS customers, sum(s.holdout) AS actual, sum(p.predicted) AS predicted,
               sum(abs(p.predicted - s.holdout)) AS abs_error
          FROM ${SUMMARY} s
          JOIN ${sql.temp(HOLDOUT_PREDICTIONS)} p ON p.x = s.x AND p.tx_days = s.tx_days AND p.t_days = s.t_days
         GROUP BY frequency ORDER BY sort_key`,
  );
  const minGroup = opts.minGroup ?? DEFAULT_MIN_GROUP;
  const rows = r.rows<{
    frequency: string;
    customers: number;
    actual: number;
    predicted: number;
    abs_error: number;
  }>();
  // The frequency groups add up to the overall figures: complementary suppression (the overall minus the other
  // groups must not give a suppressed one back).
  const gate = suppressPartition(
    rows.map((g) => Number(g.customers)),
    minGroup,
  );
  const total = rows.reduce(
    (acc, g) => ({
      customers: acc.customers + Number(g.customers),
      actual: acc.actual + Number(g.actual),
      predicted: acc.predicted + Number(g.predicted),
      abs_error: acc.abs_error + Number(g.abs_error),
    }),
    { customers: 0, actual: 0, predicted: 0, abs_error: 0 },
  );
  return {
    calibrationEnd: isoDay(endDay),
    holdoutEnd: isoDay(holdoutEndDay),
    holdoutLength,
    unit: opts.unit,
    fit,
    overall: compare(total, minGroup, gate.totalHidden),
    byFrequency: rows.map((g, i) => ({
      frequency: g.frequency,
      ...compare(g, minGroup, gate.hidden[i] === true || (gate.totalHidden && Number(g.customers) > 0)),
    })),
  };
}

function compare(
  g: { customers: number; actual: number; predicted: number; abs_error: number },
  minGroup: number,
  hide = false,
): HoldoutComparison {
  const customers = Number(g.customers);
  const actual = Number(g.actual);
  const predicted = Number(g.predicted);
  return suppress(
    {
      customers,
      actual,
      predicted,
      error: predicted - actual,
      relativeError: actual > 0 ? (predicted - actual) / actual : null,
      meanAbsoluteError: customers > 0 ? Number(g.abs_error) / customers : null,
    },
    customers,
    minGroup,
    ["customers", "actual", "predicted", "error", "relativeError", "meanAbsoluteError"],
    hide,
  );
}
