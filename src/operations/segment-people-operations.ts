import { z } from "zod";
import { UserError } from "../errors.js";
import {
  type Channel,
  ChannelSchema,
  consentedPeople,
  type LeftOut,
  type Purpose,
  PurposeSchema,
  useFields,
} from "../privacy/consent-gate.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { gatedSegmentSizes } from "../segments/membership-reports.js";
import { type GatedHistoryPoint, gateHistory } from "../segments/report-gate.js";
import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import { currentMembersSql, type ListPeople, segmentHistory } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import type { Sql } from "../store/sql.js";
import { defineOperation } from "./operation.js";
import { wholeNumber } from "./schema-types.js";

/**
 * The `segment` operations that name people: a segment's members, and who entered or left it. Both go through the
 * consent gate (src/privacy/consent-gate.ts): they take a purpose and a channel and list only those who consented.
 */

export const SegmentMembersInput = z
  .object({
    id: z.string(),
    /** What the members are wanted for, and how they would be reached: only those who consented are listed. */
    ...useFields,
    /** At most this many customers (default all). */
    limit: wholeNumber(1).optional(),
  })
  .strict();

/** `segment.members`' answer: who may be used, and how many members were left out and why (k-gated counts). */
export interface SegmentMembers {
  readonly id: string;
  readonly purpose: string;
  readonly channel: string;
  readonly customers: string[];
  readonly leftOut: LeftOut;
}

/**
 * `segment.members`: the customers in a segment at the last refresh who may be used for a purpose on a channel
 * (the consent gate: their latest consent is a grant, and they are not on the suppression list), by id. A segment
 * saved since is refused: the stays on record are an earlier version's.
 */
export const segmentMembersOperation = defineOperation({
  name: "segment.members",
  summary: "the customers in a segment now (at the last refresh)",
  input: SegmentMembersInput,
  access: "read",
  people: { count: (r: { customers: string[] }) => r.customers.length, subject: (i) => `segment=${i.id}` },
  run: async (session, { id, limit, purpose, channel }): Promise<SegmentMembers> => {
    await requireSegment(session, id);
    await requireEvaluated(session, [id], "segment members");
    const people = await consentedPeople(session, currentMembersSql(id), { purpose, channel }, { limit });
    return { id, purpose, channel, customers: [...people.ids], leftOut: people.leftOut };
  },
});

export const SegmentHistoryInput = z
  .object({
    id: z.string(),
    /**
     * List up to this many ids of the customers who entered and left at each refresh (0: counts only): only those
     * the consent gate passes for `purpose` and `channel`, which are then required.
     */
    withIds: wholeNumber(0).default(0),
    purpose: PurposeSchema.optional(),
    channel: ChannelSchema.optional(),
  })
  .strict();

/** `segment.history`: a segment's size at each stored refresh, and who entered or left. */
export const segmentHistoryOperation = defineOperation({
  name: "segment.history",
  summary: "size over time, and who entered or left at each refresh",
  input: SegmentHistoryInput,
  access: "read",
  people: {
    count: (r: {
      history: { enteredIds?: readonly unknown[] | null; exitedIds?: readonly unknown[] | null }[];
    }) => r.history.reduce((n, p) => n + (p.enteredIds?.length ?? 0) + (p.exitedIds?.length ?? 0), 0),
    subject: (i) => `segment=${i.id}`,
  },
  run: async (
    session,
    { id, withIds, purpose, channel },
  ): Promise<{ id: string; history: GatedHistoryPoint[]; minGroup: number }> => {
    await requireSegment(session, id);
    const k = await reportMinGroup(session);
    const { hidden, base } = await gatedSegmentSizes(session, k);
    const points = await segmentHistory(session, id, historyIds(session, withIds, purpose, channel));
    // The latest point is the size segment.list shows: hidden exactly as it hides it.
    return { id, history: gateHistory(points, base, k, hidden.has(id)), minGroup: k };
  },
});

/**
 * Who a history may list among those who entered or left (the consent gate, at most `withIds` per list), or
 * nothing to list (0); listing without a purpose and a channel is refused.
 */
function historyIds(
  session: Engine,
  withIds: number,
  purpose: Purpose | undefined,
  channel: Channel | undefined,
): ListPeople | undefined {
  if (withIds === 0) return undefined;
  if (purpose === undefined || channel === undefined)
    throw new UserError(
      "bad-input",
      "listing who entered or left names people: give the purpose and the channel they are wanted for",
      `segment.history: ${purpose === undefined ? "purpose" : "channel"}`,
    );
  return async (candidates: Sql) => [
    ...(await consentedPeople(session, candidates, { purpose, channel }, { limit: withIds })).ids,
  ];
}
