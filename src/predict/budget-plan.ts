/**
 * `tessera budget plan` (issue 19, item 4): for each saved segment (or audience), a response curve with diminishing
 * returns, then the split of a total budget that maximises the expected return (budget-allocation.ts), with the
 * expected conversions, revenue and ROI per segment and why each got what it got.
 *
 * The figures per segment come from the engine (budget-figures.ts) in one grouped query (size, buyers and their
 * revenue in the window before the as-of, mean stored CLV); past campaigns in another (per send: people sent, and
 * how many of them bought within the window after their message). TypeScript sees one row per segment and per send.
 *
 * The curve of a segment, in conversions at spend x: r(x) = a·(1 − e^(−x/b)).
 * - Prior (no past campaign): a = the segment's buyers in the window (size × conversion rate: as many as bought in
 *   the last window can be brought to buy in the next), b = size × cost per contact (the spend of one contact for
 *   everyone reaches 1 − 1/e ≈ 63% of them).
 * - Past campaigns sent to the segment's audience (an audience of that one segment, in `--by segment`): each send
 *   with its window over is a point (people sent × the channel's cost, people who bought within the window after
 *   their message), fitted by response-curves.ts's regularised least squares toward the prior.
 * The return of a conversion is the segment's mean stored CLV (`tessera clv predict`), else its revenue per buyer
 * in the window (average order value × orders per buyer), else every buyer's.
 */
import { CAMPAIGN_CHANNELS, type CampaignChannel } from "../activation/campaigns.js";
import { didYouMean } from "../common/did-you-mean.js";
import { isUserError, UserError } from "../errors.js";
import { isSmall } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { type AllocationStatus, allocate } from "./budget-allocation.js";
import { buyersSql, campaignSends, groups, type PastSend } from "./budget-figures.js";
import { type ChannelCosts, DEFAULT_CHANNEL_COSTS, type SpendBounds } from "./budget-inputs.js";
import {
  type CurvePoint,
  type ExponentialCurve,
  fitCurve,
  marginalAt,
  responseAt,
} from "./response-curves.js";

export const BUDGET_BY = ["segment", "audience"] as const;
export type BudgetBy = (typeof BUDGET_BY)[number];

export interface BudgetPlanOptions {
  readonly total: number;
  readonly by: BudgetBy;
  /** Cost per contact by channel; channels not named keep DEFAULT_CHANNEL_COSTS. */
  readonly channelCosts?: ChannelCosts;
  /** The channel segments are reached on (`--by segment`; an audience has its own). */
  readonly channel: CampaignChannel;
  /** Bounds per segment id (or audience id). */
  readonly bounds?: Record<string, SpendBounds>;
  /** Days of the conversion window: buyers in the last window, conversions within it after a send. */
  readonly windowDays: number;
  /** The segments' time: their members are the last refresh's, buyers are counted in the window before it. */
  readonly asOf: Date;
  /** The k of the k-gate. */
  readonly minGroup: number;
  /** The clock (tests fix it): a campaign send counts once its window is over by now. */
  readonly now?: Date;
}

/** Where a segment's curve came from. */
export type CurveSource = "prior" | "campaigns";
/** What a conversion is worth: mean stored CLV, the segment's revenue per buyer, or every buyer's. */
export type ValueBasis = "clv" | "revenue-per-buyer" | "all-buyers" | "none";

export interface PlannedSegment {
  readonly key: string;
  readonly name: string;
  readonly channel: CampaignChannel;
  readonly costPerContact: number;
  /** True when the k-gate hid this segment's figures: it is planned, only its spend is shown. */
  readonly suppressed: boolean;
  readonly size: number | null;
  /** Buyers in the window before the as-of, and their share of the segment. */
  readonly buyers: number | null;
  readonly conversionRate: number | null;
  readonly valuePerConversion: number | null;
  readonly valueBasis: ValueBasis | null;
  readonly source: CurveSource;
  /** Past campaign sends fitted (0: the prior). */
  readonly campaignSends: number;
  /** The curve in conversions: a (reachable conversions), b (spend scale). */
  readonly curve: { readonly a: number; readonly b: number } | null;
  readonly min: number;
  readonly max: number | null;
  readonly spend: number;
  readonly share: number;
  readonly expectedConversions: number | null;
  readonly expectedRevenue: number | null;
  /** (revenue − spend) / spend; null without spend. */
  readonly roi: number | null;
  /** Return of one more unit of spend at the planned spend, and of the first unit. */
  readonly marginalReturn: number | null;
  readonly firstUnitReturn: number | null;
  readonly status: AllocationStatus;
  readonly reason: string;
}

export interface BudgetPlan {
  readonly by: BudgetBy;
  readonly total: number;
  readonly allocated: number;
  readonly unallocated: number;
  /** The marginal return shared by every segment inside its bounds (revenue per unit of spend), when one is. */
  readonly marginalReturn: number | null;
  /** The total past which one more unit returns less than it costs (marginal return 1), within the bounds. */
  readonly breakEvenTotal: number;
  readonly windowDays: number;
  readonly asOf: string;
  readonly channelCosts: Record<CampaignChannel, number>;
  readonly costsFrom: "file" | "defaults" | "file and defaults";
  readonly minGroup: number;
  readonly segments: PlannedSegment[];
  readonly totals: {
    readonly expectedConversions: number | null;
    readonly expectedRevenue: number | null;
    readonly roi: number | null;
  };
  readonly notes: string[];
}

/**
 * The conversions a send brought: with a holdout, those beyond what the held-out people's rate predicts for the
 * people sent (the lift, at least 0); without one, every buyer among the people sent (attributed).
 */
export function sendConversions(
  s: Pick<PastSend, "sent" | "converted" | "heldOut" | "heldOutConverted">,
): number {
  if (s.heldOut === 0) return s.converted;
  return Math.max(0, s.converted - (s.sent * s.heldOutConverted) / s.heldOut);
}

function costsOf(opts: BudgetPlanOptions): Record<CampaignChannel, number> {
  return { ...DEFAULT_CHANNEL_COSTS, ...opts.channelCosts };
}

/** Plans the budget (see the module comment). A read: nothing is written here (budget-plan-store.ts keeps it). */
export async function planBudget(engine: Engine, opts: BudgetPlanOptions): Promise<BudgetPlan> {
  if (!Number.isFinite(opts.total) || opts.total <= 0)
    throw new UserError(
      "bad-total",
      `the total budget must be a positive number, got ${opts.total}`,
      "total",
    );
  const notes: string[] = [];
  const costs = costsOf(opts);
  const { groups: gs, audiences } = await groups(engine, opts, notes);
  if (gs.length === 0)
    throw new UserError(
      "no-segments",
      opts.by === "segment"
        ? "no saved segment has members yet: save and refresh segments first"
        : "no audience to plan: create one (tessera audience create) on a campaign channel",
      "by",
    );
  const keys = gs.map((g) => g.key);
  for (const key of Object.keys(opts.bounds ?? {}))
    if (!keys.includes(key))
      throw new UserError(
        opts.by === "segment" ? "unknown-segment" : "unknown-audience",
        `no ${opts.by} "${key}" to plan${didYouMean(key, keys)}`,
        `bounds.${key}`,
      );

  // Past campaigns, as points of the segment they went to.
  const keyOfAudience = new Map<string, string>();
  for (const a of audiences)
    if (opts.by === "audience") keyOfAudience.set(a.id, a.id);
    else if ("segment" in a.segments) keyOfAudience.set(a.id, a.segments.segment);
  const points = new Map<string, CurvePoint[]>();
  const converted = new Map<string, number>();
  let withHoldout = 0;
  for (const s of await campaignSends(engine, opts)) {
    const key = keyOfAudience.get(s.audience);
    if (key === undefined) continue;
    const cost = costs[s.channel as CampaignChannel];
    if (cost === undefined) continue;
    if (s.heldOut > 0) withHoldout++;
    points.set(key, [...(points.get(key) ?? []), { spend: s.sent * cost, conversions: sendConversions(s) }]);
    // The people counts behind a segment's points: a small one hides the segment's figures (k-gate).
    converted.set(key, (converted.get(key) ?? 0) + s.converted);
  }
  const fittedSends = [...points.values()].reduce((n, p) => n + p.length, 0);
  if (fittedSends > 0)
    notes.push(
      `${fittedSends} past campaign send(s) fitted; ${withHoldout} with a holdout (their conversions are the lift over the held-out people's rate), the others' are every buyer among the people sent`,
    );

  // The value of a conversion where a segment has neither CLV nor buyers: every buyer's revenue in the window.
  const overall = await engine.query(
    sql`SELECT count(*) AS n, coalesce(sum(revenue), 0) AS revenue FROM (${buyersSql(engine, opts.asOf, opts.windowDays)}) b`,
  );
  const overallN = Number(overall.column("n")[0]);
  const overallValue = overallN > 0 ? Number(overall.column("revenue")[0]) / overallN : 0;

  const k = opts.minGroup;
  const prepared = gs.map((g) => {
    const cost = costs[g.channel];
    const [value, basis]: [number, ValueBasis] =
      g.clvMean !== null && g.clvMean > 0
        ? [g.clvMean, "clv"]
        : g.buyers > 0
          ? [g.revenue / g.buyers, "revenue-per-buyer"]
          : overallValue > 0
            ? [overallValue, "all-buyers"]
            : [0, "none"];
    const prior: ExponentialCurve = { a: g.buyers, b: Math.max(g.size, 1) * cost };
    const fit = fitCurve(points.get(g.key) ?? [], prior);
    const conv = g.buyers === 0 && fit.points === 0 ? prior : fit.curve;
    const b = opts.bounds?.[g.key];
    const hidden =
      isSmall(g.size, k) ||
      isSmall(g.buyers, k) ||
      isSmall(g.size - g.buyers, k) ||
      isSmall(converted.get(g.key) ?? 0, k);
    return {
      g,
      cost,
      value,
      basis,
      conv,
      fit,
      hidden,
      item: {
        curve: { a: conv.a * Math.max(value, 0), b: conv.b },
        min: b?.min ?? 0,
        max: b?.max ?? Number.POSITIVE_INFINITY,
      },
    };
  });
  const items = prepared.map((p) => p.item);
  let allocation: ReturnType<typeof allocate>;
  try {
    allocation = allocate(items, opts.total);
  } catch (e) {
    // The allocator names its own fields; bounds come from the plan's bounds.
    if (isUserError(e) && e.code === "bounds-infeasible")
      throw new UserError(e.code, `${e.reason}: lower some minimums or raise the total`, "bounds");
    throw e;
  }
  const lambda = allocation.lambda;
  const breakEvenTotal = items.reduce((s, it) => {
    const free = it.curve.a > 0 ? Math.max(0, it.curve.b * Math.log(it.curve.a / it.curve.b)) : 0;
    return s + Math.min(it.max, Math.max(it.min, free));
  }, 0);

  const segments: PlannedSegment[] = prepared.map((p, i) => {
    const x = allocation.spend[i] as number;
    const status = allocation.status[i] as AllocationStatus;
    const conversions = responseAt(p.conv, x);
    const revenue = conversions * p.value;
    const firstUnit = p.item.curve.a > 0 ? marginalAt(p.item.curve, 0) : 0;
    const marginal = p.item.curve.a > 0 ? marginalAt(p.item.curve, x) : 0;
    const reason = reasonFor(
      status,
      x,
      marginal,
      firstUnit,
      lambda,
      p.item,
      p.g.buyers === 0 && p.fit.points === 0,
    );
    const show = <T>(v: T): T | null => (p.hidden ? null : v);
    return {
      key: p.g.key,
      name: p.g.name,
      channel: p.g.channel,
      costPerContact: p.cost,
      suppressed: p.hidden,
      size: show(p.g.size),
      buyers: show(p.g.buyers),
      conversionRate: show(p.g.size > 0 ? p.g.buyers / p.g.size : 0),
      valuePerConversion: show(p.value),
      valueBasis: show(p.basis),
      source: p.fit.points > 0 ? "campaigns" : "prior",
      campaignSends: p.fit.points,
      curve: show({ a: p.conv.a, b: p.conv.b }),
      min: p.item.min,
      max: Number.isFinite(p.item.max) ? p.item.max : null,
      spend: x,
      share: x / opts.total,
      expectedConversions: show(conversions),
      expectedRevenue: show(revenue),
      roi: show(x > 0 ? (revenue - x) / x : null),
      marginalReturn: show(marginal),
      firstUnitReturn: show(firstUnit),
      status,
      reason: p.hidden ? `${reason} (figures hidden: fewer than ${k} people, buyers or non-buyers)` : reason,
    };
  });
  const allocated = opts.total - allocation.unallocated;
  const anyHidden = prepared.some((p) => p.hidden);
  const sumOf = (f: (s: PlannedSegment, i: number) => number) => segments.reduce((a, s, i) => a + f(s, i), 0);
  const totalConv = sumOf((_, i) =>
    responseAt((prepared[i] as (typeof prepared)[number]).conv, allocation.spend[i] as number),
  );
  const totalRev = sumOf((_, i) => {
    const p = prepared[i] as (typeof prepared)[number];
    return responseAt(p.conv, allocation.spend[i] as number) * p.value;
  });
  if (anyHidden)
    notes.push(
      `totals of conversions and revenue hidden: a segment's figures are suppressed and the totals would give them away`,
    );
  if (allocation.unallocated > 0)
    notes.push(
      `${allocation.unallocated.toFixed(2)} left unallocated: every segment with a response is at its maximum`,
    );
  if (breakEvenTotal < allocated)
    notes.push(
      `past a total of ${breakEvenTotal.toFixed(2)} one more unit returns less than it costs (marginal return below 1)`,
    );
  if (prepared.some((p) => p.fit.points === 0 && p.conv.a > 0))
    notes.push(
      "a prior curve takes the buyers of the last window as the response spend can reach: its conversions and revenue are attributed to the plan, not measured as lift over not contacting (send campaigns with a holdout to learn the lift)",
    );
  const fromFile = Object.keys(opts.channelCosts ?? {}).length;
  const costsFrom =
    fromFile === 0 ? "defaults" : fromFile === CAMPAIGN_CHANNELS.length ? "file" : "file and defaults";
  const unnamed = CAMPAIGN_CHANNELS.filter((c) => opts.channelCosts?.[c] === undefined);
  if (unnamed.length)
    notes.push(
      `cost per contact${fromFile ? " of channels the costs file does not name" : ""}: the defaults (${unnamed
        .map((c) => `${c} ${DEFAULT_CHANNEL_COSTS[c]}`)
        .join(", ")}); give --channel-costs FILE for yours`,
    );
  return {
    by: opts.by,
    total: opts.total,
    allocated,
    unallocated: allocation.unallocated,
    marginalReturn: lambda,
    breakEvenTotal,
    windowDays: opts.windowDays,
    asOf: opts.asOf.toISOString(),
    channelCosts: costs,
    costsFrom,
    minGroup: k,
    segments,
    totals: {
      expectedConversions: anyHidden ? null : totalConv,
      expectedRevenue: anyHidden ? null : totalRev,
      roi: anyHidden || allocated <= 0 ? null : (totalRev - allocated) / allocated,
    },
    notes,
  };
}

/** Why a segment got its spend, in words. */
function reasonFor(
  status: AllocationStatus,
  x: number,
  marginal: number,
  firstUnit: number,
  lambda: number | null,
  item: { min: number; max: number },
  noData: boolean,
): string {
  const f = (v: number) =>
    Math.abs(v) >= 100 ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : v.toPrecision(3);
  switch (status) {
    case "no-response":
      return noData
        ? "no expected response: nobody in it bought in the window and no campaign reached it"
        : "no expected response: a conversion is worth nothing here (no revenue in the window)";
    case "at-min":
      return item.min === 0
        ? `got nothing: its first unit returns ${f(firstUnit)}, less than the ${f(lambda ?? marginal)} the last unit returns elsewhere`
        : `held at its minimum ${f(item.min)}: one more unit returns ${f(marginal)}, less than ${f(lambda ?? marginal)} elsewhere`;
    case "at-max":
      return `held at its maximum ${f(item.max)}: one more unit would still return ${f(marginal)}${lambda === null ? "" : `, more than the ${f(lambda)} elsewhere`}`;
    case "equal-marginal":
      return `${f(x)} brings its marginal return down to ${f(marginal)}, the same as every other segment inside its bounds`;
  }
}
