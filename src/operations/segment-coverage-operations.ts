import { z } from "zod";
import { intersectionHidden, reportMinGroup } from "../privacy/k-gate.js";
import type { Mece } from "../segments/membership-reports.js";
import {
  gatedSegmentSizes,
  MECE_PREFIX,
  meceSegments,
  segmentOverlap,
} from "../segments/membership-reports.js";
import { type GatedMece, type GatedOverlap, gateMece, gateOverlap } from "../segments/report-gate.js";
import type { Engine } from "../store/engine.js";
import { defineOperation } from "./operation.js";
import { isoTime } from "./schema-types.js";
import { asOfOrLastRefresh, segmentIds } from "./segment-operations.js";

/**
 * The `segment` operations that look at several segments' current memberships together: pairwise overlap and
 * MECE coverage (and its exclusive re-cut), each through the k-gate.
 */

export const SegmentOverlapInput = z.object({ ids: segmentIds }).strict();

/**
 * `segment.overlap`: pairwise overlap counts and Jaccard indices of current memberships. Named segments must have
 * been evaluated; with none named, those saved since the last refresh are left out and listed.
 */
export const segmentOverlapOperation = defineOperation({
  name: "segment.overlap",
  summary: "pairwise overlap counts and Jaccard index of current memberships",
  input: SegmentOverlapInput,
  access: "read",
  run: async (session, { ids }): Promise<GatedOverlap> => {
    const o = await segmentOverlap(session, ids);
    const k = await reportMinGroup(session);
    const { hidden, base } = await gatedSegmentSizes(session, k);
    return gateOverlap(o, base, k, hidden);
  },
});

/**
 * The id prefix of exclusive segments: `<prefix><id>` must be a segment id, so the prefix is made of what ids are
 * (refused here, naming the field, rather than as a definition the re-cut builds).
 */
const meceIdPrefix = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,31}$/,
    "lower-case letters, digits, - and _ (at most 32), starting with a letter or digit",
  );

export const SegmentMeceInput = z
  .object({
    ids: segmentIds,
    /** The id prefix of earlier exclusive results, left out when no ids are given (they re-divide the others). */
    prefix: meceIdPrefix.default(MECE_PREFIX),
  })
  .strict();

/**
 * `segment.mece`: how much of the customer base a set of segments covers, and how many customers are in two or
 * more (current memberships). Reads only; the exclusive re-cut, which saves segments, is `segment.mece.exclusive`.
 */
export const segmentMeceOperation = defineOperation({
  name: "segment.mece",
  summary: "coverage and overlap of segments",
  input: SegmentMeceInput,
  access: "read",
  run: async (session, { ids, prefix }): Promise<GatedMece> =>
    gatedMece(session, await meceSegments(session, ids, { prefix })),
});

export const SegmentMeceExclusiveInput = z
  .object({
    /** The segments in priority order: each customer goes to the first one that matches (required, not empty). */
    ids: segmentIds,
    /** The id prefix of the exclusive segments saved: `<prefix><id>` and `<prefix>other`. */
    prefix: meceIdPrefix.default(MECE_PREFIX),
    /** Size the exclusive segments as of this moment (default: the last refresh's, else now). */
    asOf: isoTime.optional(),
  })
  .strict();

/**
 * `segment.mece.exclusive`: `segment.mece`, then saves mutually exclusive, collectively exhaustive segments
 * (`<prefix><id>` for each given one in priority order, `<prefix>other` for the rest) and sizes them. A write,
 * apart from `segment.mece`, so that looking at coverage never waits for writers. No ids is refused (by
 * `meceSegments`, with its own message) rather than by the schema: the order is the point, and the message says so.
 */
export const segmentMeceExclusiveOperation = defineOperation({
  name: "segment.mece.exclusive",
  summary: "save mutually exclusive, collectively exhaustive segments from segments in priority order",
  input: SegmentMeceExclusiveInput,
  access: "write",
  run: async (session, { ids, prefix, asOf }): Promise<GatedMece> =>
    gatedMece(
      session,
      await meceSegments(session, ids, {
        exclusive: true,
        prefix,
        asOf: await asOfOrLastRefresh(session, asOf),
      }),
    ),
});

/**
 * A MECE report through the k-gate: the segments' pairwise intersections are read too, since with their sizes
 * (segment list) and the coverage they would give a suppressed intersection back.
 */
async function gatedMece(session: Engine, { intersections, ...m }: Mece): Promise<GatedMece> {
  const k = await reportMinGroup(session);
  const o = intersections ?? (await segmentOverlap(session, m.ids));
  const hidden = m.ids.some((_, i) =>
    m.ids.some(
      (_, j) =>
        i < j && intersectionHidden(o.counts[i]?.[j] ?? 0, o.sizes[i] ?? 0, o.sizes[j] ?? 0, m.customers, k),
    ),
  );
  return gateMece(m, k, hidden);
}
