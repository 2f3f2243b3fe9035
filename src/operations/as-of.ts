/**
 * The one policy for "as of when" when a command is not told (DESIGN.md: evaluation happens at an as-of time).
 * `rfm`, `pareto`, `kpis`, `segment refresh` and the lifetime-value commands all choose it here, so that on the
 * same data they agree, and every result says how its time was chosen (`asOfChoice`, printed by every front door).
 *
 * The default is the end of the data: midnight after the last UTC day holding an order or an event, but never later
 * than now (live data ends today: its as-of is now). Historical data is thereby read as of its own end, not as of a
 * today at which every window is empty and every segment loses its members. Rows dated after now — what the audit
 * flags as "dated in the future" — are left out of "the data's last day" (one `9999-12-31` would otherwise move
 * every default by eight thousand years), and the choice says how many were left out.
 */
import { activitySpan, purchaseActivitySpan } from "../analytics/data-span.js";
import type { Engine } from "../store/engine.js";

const DAY_MS = 86_400_000;

/** How an as-of time was chosen, as every result that depends on one reports it. */
export interface AsOfChoice {
  /** The time used (ISO 8601). */
  readonly asOf: string;
  /**
   * "given": by the caller; "data": the end of the data's last day; "now": no data yet, or the data reach now;
   * "last-refresh": a segment refresh recorded later than that (a default never goes back before it).
   */
  readonly basis: "given" | "data" | "now" | "last-refresh";
  /** Midnight after the last day with an order or event dated no later than now (null: none). */
  readonly dataEnd: string | null;
  /** Orders and events dated after now, left out of the data's end (the audit's future-dated rows). */
  readonly futureRows: number;
  /** The choice in words, for people. */
  readonly note: string;
}

/** Midnight (UTC) after the day of `t`. */
function endOfDay(t: Date): Date {
  return new Date((Math.floor(t.getTime() / DAY_MS) + 1) * DAY_MS);
}

function futureNote(future: number, now: Date): string {
  return future > 0
    ? `; ${future.toLocaleString("en-US")} order(s) or event(s) dated after now (${now.toISOString()}) left out of the data's end (see \`tessera audit\`)`
    : "";
}

/**
 * The as-of time of a command: `given` when there is one, else the end of the data (above), but never before
 * `notBefore` (a segment refresh's last recorded time: a default refresh is not a backtest). `now` is the clock
 * (tests fix it).
 */
export async function chooseAsOf(
  engine: Engine,
  given: Date | undefined,
  now: Date = new Date(),
  notBefore: Date | null = null,
): Promise<{ asOf: Date; choice: AsOfChoice }> {
  const span = await activitySpan(engine, now);
  const dataEnd = span.last === null ? null : endOfDay(span.last);
  const lastDay = span.last?.toISOString().slice(0, 10);
  let asOf: Date;
  let basis: AsOfChoice["basis"];
  let note: string;
  if (given !== undefined) {
    asOf = given;
    basis = "given";
    const past = dataEnd === null ? 0 : Math.floor((given.getTime() - dataEnd.getTime()) / DAY_MS);
    note =
      `as of ${given.toISOString()}, as given` +
      (past >= 1 ? ` (${past.toLocaleString("en-US")} day(s) after the data's last day, ${lastDay})` : "");
  } else if (dataEnd === null || dataEnd.getTime() > now.getTime()) {
    asOf = now;
    basis = "now";
    note =
      dataEnd === null
        ? `as of now (${now.toISOString()}): no orders or events yet`
        : `as of now (${now.toISOString()}): the data reach today (last day ${lastDay})`;
  } else {
    asOf = dataEnd;
    basis = "data";
    note = `as of ${dataEnd.toISOString()}: the end of the data's last day (${lastDay}), as no as-of time was given`;
  }
  if (basis !== "given" && notBefore !== null && notBefore.getTime() > asOf.getTime()) {
    asOf = notBefore;
    basis = "last-refresh";
    note = `as of ${notBefore.toISOString()}: the last refresh's time, later than the data's end (${dataEnd?.toISOString() ?? "no data"}), as no as-of time was given`;
  }
  note += futureNote(span.future, now);
  return {
    asOf,
    choice: {
      asOf: asOf.toISOString(),
      basis,
      dataEnd: dataEnd?.toISOString() ?? null,
      futureRows: span.future,
      note,
    },
  };
}

/**
 * The lifetime-value models' default calibration end (or holdout end): the last purchase day dated no later than
 * now, as a day (midnight); `given` when there is one. Null when nobody has bought yet (the model says so).
 */
export async function chooseLastPurchaseDay(
  engine: Engine,
  given: Date | undefined,
  what: string,
  now: Date = new Date(),
): Promise<{ day: Date | undefined; choice: AsOfChoice | null }> {
  if (given !== undefined) return { day: given, choice: null };
  const span = await purchaseActivitySpan(engine, now);
  if (span.last === null) return { day: undefined, choice: null };
  const day = new Date(Math.floor(span.last.getTime() / DAY_MS) * DAY_MS);
  const iso = day.toISOString().slice(0, 10);
  return {
    day,
    choice: {
      asOf: day.toISOString(),
      basis: "data",
      dataEnd: endOfDay(span.last).toISOString(),
      futureRows: span.future,
      note: `${what} ${iso}: the last purchase day, as none was given${futureNote(span.future, now).replace("order(s) or event(s)", "purchase(s)")}`,
    },
  };
}
