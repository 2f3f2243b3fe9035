import { z } from "zod";
import { type SegmentChannels, segmentChannels } from "../activation/channels.js";
import { type SegmentSendTimes, segmentSendTimes } from "../activation/send-time-report.js";
import { parseSendWindow } from "../activation/send-times.js";
import { UserError } from "../errors.js";
import { PurposeSchema } from "../privacy/consent-gate.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

export type { ChannelReach, SegmentChannels } from "../activation/channels.js";
export type { SegmentSendTimes, SendTimeSlot } from "../activation/send-time-report.js";

/**
 * Timing and channels per segment (issue 18, items 4 and 5): reports over a segment's current members, every count
 * through the k-gate, no person named.
 */

export const SegmentChannelsInput = z
  .object({
    id: z.string(),
    /** The purpose whose consent makes a person reachable (default marketing). */
    purpose: PurposeSchema.default("marketing" as z.output<typeof PurposeSchema>),
    /** The look-back's end (default: the end of the data's last day, at most now: as-of.ts). */
    asOf: isoTime.optional(),
    /** Groups smaller than this are suppressed (default: the database's min_group, which it may only raise). */
    minGroup: minGroup.optional(),
  })
  .strict();

/** `segment.channels`: reachability, engagement and a suggested channel for a segment. */
export const segmentChannelsOperation = defineOperation({
  name: "segment.channels",
  summary:
    "a segment's reach per channel (consented and addressable), engagement rates and a suggested channel",
  input: SegmentChannelsInput,
  access: "read",
  run: async (session, input): Promise<SegmentChannels & { asOfChoice: AsOfChoice }> => {
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const k = await reportMinGroup(session, input.minGroup);
    const report = await segmentChannels(session, input.id, { purpose: input.purpose, asOf, k });
    return { ...report, asOfChoice: choice };
  },
});

/** The next whole hour after now: a send-time report's default start. */
function nextHour(now = new Date()): Date {
  return new Date(Math.floor(now.getTime() / 3_600_000 + 1) * 3_600_000);
}

export const SegmentSendTimesInput = z
  .object({
    id: z.string(),
    /** The window's start (default: the next whole hour). */
    start: isoTime.optional(),
    /** The window: `24h`, `2d`, `1w` (1 hour to 1 week; default 24h). */
    window: z
      .string()
      .default("24h")
      .transform((text, ctx) => {
        try {
          return parseSendWindow(text, "window");
        } catch (e) {
          if (!(e instanceof UserError)) throw e;
          ctx.addIssue({ code: "custom", message: e.reason });
          return z.NEVER;
        }
      }),
    minGroup: minGroup.optional(),
  })
  .strict();

/** `segment.send-times`: when a segment's members would be sent to in a window (a histogram of hours). */
export const segmentSendTimesOperation = defineOperation({
  name: "segment.send-times",
  summary: "when a segment's people engage: the hours of a send window each would get, as a histogram",
  input: SegmentSendTimesInput,
  access: "read",
  run: async (session, input): Promise<SegmentSendTimes> => {
    const k = await reportMinGroup(session, input.minGroup);
    return segmentSendTimes(session, input.id, {
      start: input.start ?? nextHour(),
      windowHours: input.window,
      k,
    });
  },
});
