import { z } from "zod";
import { activitySpan } from "../analytics/data-span.js";
import { gatedSegmentSizes } from "../segments/membership-reports.js";
import { type GatedHistoryPoint, gateHistory } from "../segments/report-gate.js";
import { latestRefresh } from "../segments/segment-refresh.js";
import { segmentHistory } from "../segments/stays.js";
import { type StoreStats, storeStats } from "../store/stats.js";
import { defineOperation } from "./operation.js";

export const OverviewInput = z
  .object({
    /** How many of each segment's latest history points to give (its trend line); 0: none. */
    points: z.number().int().min(0).max(1000).default(24),
  })
  .strict();

export interface OverviewSegment {
  readonly id: string;
  readonly name: string;
  /** The size at the last refresh, through the k-gate (null: suppressed, or not evaluated yet). */
  readonly size: number | null;
  readonly suppressed: boolean;
  /** Its latest history points, oldest first (the trend), through the history's own gate. */
  readonly history: readonly GatedHistoryPoint[];
}

export interface Overview {
  readonly stats: StoreStats;
  /** How fresh the data are: the last order or event time (not after now), and rows dated after now. */
  readonly data: { readonly last: string | null; readonly future: number };
  /** The last stored refresh: as of which time the segments' members were evaluated, and when. */
  readonly refreshed: { readonly asOf: string; readonly refreshedAt: string } | null;
  readonly segments: readonly OverviewSegment[];
  readonly minGroup: number;
}

/**
 * `overview`: what the dashboard's first page shows in one read — the store's counts, how fresh its data and
 * segments are, and every segment's size with its recent trend. Composed of the reads `stats`, `segment.list` and
 * `segment.history` make (the same gates: no size here differs from theirs). Cached until data, segments or the
 * privacy settings change. Under differential privacy the sizes are noised as `segment.list` noises them, and no
 * history is given (it is not noised).
 */
export const overviewOperation = defineOperation({
  name: "overview",
  summary: "the store's counts, the freshness of data and segments, and each segment's size with its trend",
  input: OverviewInput,
  access: "read",
  cachedUntil: ["data", "segments", "privacy"],
  noised: true,
  run: async (session, { points }, _emit, caller): Promise<Overview> => {
    const stats = await storeStats(session);
    const span = await activitySpan(session, new Date());
    const { segments, sizes, hidden, base, k } = await gatedSegmentSizes(session, undefined, caller.noise);
    const listed: OverviewSegment[] = [];
    for (const s of segments) {
      const trend =
        points === 0 || caller.noise
          ? []
          : gateHistory(await segmentHistory(session, s.id), base, k, hidden.has(s.id)).slice(-points);
      listed.push({
        id: s.id,
        name: s.name,
        size: hidden.has(s.id) ? null : (sizes.get(s.id) ?? null),
        suppressed: hidden.has(s.id),
        history: trend,
      });
    }
    return {
      stats,
      data: { last: span.last?.toISOString() ?? null, future: span.future },
      refreshed: await latestRefresh(session),
      segments: listed,
      minGroup: k,
    };
  },
});
