import { z } from "zod";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import {
  applyRetention,
  parseRetentionKind,
  parseRetentionPeriod,
  type RetentionApplied,
  type RetentionKind,
  type RetentionPeriod,
  retentionPeriods,
  setRetentionPeriod,
} from "../privacy/retention.js";
import { lastRefresh } from "../segments/segment-refresh.js";
import { defineOperation } from "./operation.js";
import { refreshAll } from "./refresh-pipeline.js";
import { isoTime } from "./schema-types.js";

/** `privacy.retention`: how long each kind of data is kept. */
export const privacyRetentionOperation = defineOperation({
  name: "privacy.retention",
  summary: "how long each kind of data is kept (events, orders, survey-responses, consents)",
  input: z.object({}).strict(),
  access: "read",
  run: async (session): Promise<{ periods: RetentionPeriod[] }> => ({
    periods: await retentionPeriods(session),
  }),
});

export const PrivacyRetentionSetInput = z
  .object({
    kind: z.string(),
    /** A duration ("400d", "18m", "2y") or "forever". */
    period: z.string(),
  })
  .strict();

/** `privacy.retention.set`: a kind's period, recorded in the audit log. Expired rows go at the next apply. */
export const privacyRetentionSetOperation = defineOperation({
  name: "privacy.retention.set",
  summary: "set how long a kind of data is kept (recorded in the audit log)",
  input: PrivacyRetentionSetInput,
  access: "write",
  changes: ["privacy"],
  run: async (
    session,
    input,
    _emit,
    caller,
  ): Promise<{ kind: RetentionKind; period: string | null; previous: string | null }> => {
    // The period first: a bad one is named whatever the kind (a kind only checks against a short list).
    const period = parseRetentionPeriod(input.period);
    const kind = parseRetentionKind(input.kind);
    const previous = await setRetentionPeriod(session, kind, period, caller.who);
    await recordSensitiveAction(session, {
      who: caller.who,
      action: "privacy.retention.set",
      subject: `retention=${kind} ${previous ?? "forever"} -> ${period ?? "forever"}`,
      people: 0,
    });
    return { kind, period, previous };
  },
});

export const PrivacyApplyRetentionInput = z
  .object({
    /** The time expiry is judged at (default now). */
    now: isoTime.optional(),
  })
  .strict();

export interface RetentionRun {
  readonly now: string;
  readonly kinds: readonly RetentionApplied[];
  readonly rowsRemoved: number;
  /**
   * The refresh that recomputed derived data (values, cluster assignments, segment features and memberships) at
   * the last refresh's as-of time for the people marked; null when nothing was removed or no refresh was ever made.
   */
  readonly refreshedAsOf: string | null;
}

/**
 * `privacy.apply-retention`: removes what has expired and recomputes what was derived from it, in one transaction:
 * the people whose rows went are marked for the segment refresh, which then runs again at its last as-of time
 * (values re-scored, clusters re-assigned, features and memberships of the marked people re-evaluated). The
 * server runs it on a schedule.
 */
export const privacyApplyRetentionOperation = defineOperation({
  name: "privacy.apply-retention",
  summary: "remove expired rows by each kind's retention period, then recompute derived data",
  input: PrivacyApplyRetentionInput,
  access: "write",
  run: async (session, input, _emit, caller): Promise<RetentionRun> => {
    const now = input.now ?? new Date();
    return session.transaction(async () => {
      const kinds = await applyRetention(session, now);
      const rowsRemoved = kinds.reduce((n, k) => n + Object.values(k.removed).reduce((a, b) => a + b, 0), 0);
      const last = rowsRemoved > 0 ? await lastRefresh(session) : null;
      if (last !== null) await refreshAll(session, { asOf: last });
      if (rowsRemoved > 0)
        await recordSensitiveAction(session, {
          who: caller.who,
          action: "privacy.apply-retention",
          subject: kinds.map((k) => `${k.kind}<=${k.cutoff.slice(0, 10)}`).join(" "),
          people: kinds.reduce((n, k) => n + k.people, 0),
        });
      return { now: now.toISOString(), kinds, rowsRemoved, refreshedAsOf: last?.toISOString() ?? null };
    });
  },
});
