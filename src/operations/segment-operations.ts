import { z } from "zod";
import {
  GUARD_DEFAULTS,
  type GuardWarning,
  MECE_PREFIX,
  type Mece,
  meceSegments,
  type Overlap,
  segmentOverlap,
  sizeGuard,
} from "../segments/membership-reports.js";
import { lastRefresh, latestRefresh } from "../segments/segment-refresh.js";
import {
  listSegments,
  notEvaluated,
  removeSegment,
  requireEvaluated,
  requireSegment,
  type SavedSegment,
  type SegmentVersion,
  saveSegment,
  segmentVersions,
} from "../segments/segment-store.js";
import { currentSizes, type HistoryPoint, segmentHistory, segmentMembers } from "../segments/stays.js";
import { parseSegmentText } from "../segments/text/parse.js";
import { SegmentError, type SegmentIssue } from "../segments/validate.js";
import {
  type Diff,
  diffSegment,
  type Explanation,
  explainSegment,
  type Preview,
  previewSegment,
} from "../segments/what-if.js";
import type { Engine } from "../store/engine.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { massExitError, pastDataEnd, pastDataEndWarning } from "./refresh-guard.js";
import { type PipelineRefresh, refreshAll } from "./refresh-pipeline.js";
import { isoTime, share, wholeNumber } from "./schema-types.js";

/**
 * The `segment` operations: define, refresh and look at segments. Each is what one `tessera segment …` command
 * does, with the command's `--json` document as its result.
 */

/**
 * A segment definition: the JSON document (an object), or the same in the text form (a string: header lines `id:`,
 * `name:`, `description:`, then `where:`), as DESIGN.md wants both accepted wherever a definition is. Neither is
 * checked here but where it is used (`validateSegment`, against the language and the database): that check
 * reports every problem with its path in the document (`where.all[1].within`) and prefixed with the definition's
 * source (the file it came from), as a schema's first issue could not.
 */
export const DefinitionInput = z.unknown().refine((v) => v !== undefined, "a segment definition is required");

/** The fields of an input that carries a definition. */
const definitionFields = {
  definition: DefinitionInput,
  /** Where the definition came from (a file name, `--where`): its errors are prefixed with it. */
  source: z.string().optional(),
};

/**
 * The document of a definition given in either form. A text's errors (line and column) are prefixed with the
 * source, as the document's are.
 */
function definitionDocument(input: { definition: unknown; source?: string | undefined }): unknown {
  if (typeof input.definition !== "string") return input.definition;
  try {
    return parseSegmentText(input.definition);
  } catch (e) {
    if (e instanceof SegmentError) throw new SegmentError(e.issues, input.source);
    throw e;
  }
}

/** Segment ids to look at; none means every saved one the report can cover. */
const segmentIds = z.array(z.string()).default([]);

/** How many example customer ids a what-if answer shows. */
const SAMPLE_IDS = 10;

/**
 * The time a look at segments evaluates them at when none is given: the last stored refresh's, so that it agrees
 * with the memberships on record; with no refresh yet, the default every command shares (as-of.ts: the end of the
 * data's last day, at most now).
 */
async function asOfOrLastRefresh(session: Engine, asOf: Date | undefined): Promise<Date> {
  return asOf ?? (await lastRefresh(session)) ?? (await chooseAsOf(session, undefined)).asOf;
}

export const SegmentAddInput = z.object(definitionFields).strict();

/** `segment.add`: saves a definition, validated against the database, as the segment's next version if it changed. */
export const segmentAddOperation = defineOperation({
  name: "segment.add",
  summary: "save a segment definition (a new version if it changed)",
  input: SegmentAddInput,
  access: "write",
  run: (
    session,
    input,
  ): Promise<{ id: string; version: number; changed: boolean; warnings: SegmentIssue[] }> =>
    saveSegment(session, definitionDocument(input), input.source),
});

export const SegmentListInput = z.object({}).strict();

/** A saved segment with its size at the last refresh: null when its latest version has not been evaluated yet. */
export type ListedSegment = SavedSegment & { readonly size: number | null };

/** `segment.list`: the saved segments, by id, each with its size at the last refresh. */
export const segmentListOperation = defineOperation({
  name: "segment.list",
  summary: "list saved segments with their size at the last refresh",
  input: SegmentListInput,
  access: "read",
  // What a dashboard polls: kept in memory by a server until a segment is saved, removed or refreshed.
  cachedUntil: ["segments"],
  run: async (session): Promise<{ segments: ListedSegment[] }> => {
    const list = await listSegments(session);
    const sizes = await currentSizes(session);
    // A version saved after the last refresh has not been evaluated: its size is unknown, not 0 (and the open
    // stays, if any, are an earlier version's).
    const stale = await notEvaluated(session);
    return {
      segments: list.map((s) => ({ ...s, size: stale.has(s.id) ? null : (sizes.get(s.id) ?? 0) })),
    };
  },
});

export const SegmentShowInput = z.object({ id: z.string() }).strict();

/** `segment.show`: a saved segment's versions, newest first, its size now and when it was evaluated. */
export const segmentShowOperation = defineOperation({
  name: "segment.show",
  summary: "a segment's size now and its versions, newest first",
  input: SegmentShowInput,
  access: "read",
  cachedUntil: ["segments"],
  run: async (
    session,
    { id },
  ): Promise<{
    id: string;
    versions: SegmentVersion[];
    size: number | null;
    evaluated: { asOf: string; refreshedAt: string } | null;
  }> => {
    const versions = await segmentVersions(session, id);
    // When the members on record were evaluated, and as of which time: the latest refresh, unless this version was
    // saved after it (not evaluated yet: its size is unknown, as in segment.list).
    const stale = (await notEvaluated(session)).has(id);
    if (stale) return { id, versions, size: null, evaluated: null };
    const size = (await currentSizes(session, [id])).get(id) ?? 0;
    return { id, versions, size, evaluated: await latestRefresh(session) };
  },
});

export const SegmentRemoveInput = z.object({ id: z.string() }).strict();

/** `segment.remove`: removes a segment, its versions and its membership history (refused while others use it). */
export const segmentRemoveOperation = defineOperation({
  name: "segment.remove",
  summary: "remove a segment, its versions and its membership history",
  input: SegmentRemoveInput,
  access: "write",
  run: async (session, { id }): Promise<{ id: string; removed: true }> => {
    await removeSegment(session, id);
    return { id, removed: true };
  },
});

export const SegmentRefreshInput = z
  .object({
    /**
     * Evaluate as of this moment (default: the end of the data's last day, at most now: as-of.ts); before the last
     * stored refresh it is a backtest.
     */
    asOf: isoTime.optional(),
    /** Rebuild every customer's features instead of only those something happened to. */
    full: z.boolean().default(false),
    /**
     * Record the refresh even when its as-of lies past the data's end and segments would lose most of their
     * members (refused without it: refresh-guard.ts).
     */
    force: z.boolean().default(false),
    /** Warn about segments with fewer people than this. */
    minSize: wholeNumber(0).default(GUARD_DEFAULTS.minSize),
    /** Warn about segments under this share of customers (0.01 is 1%). */
    minShare: share.default(GUARD_DEFAULTS.minShare),
    /** Warn about pairs of segments at least this similar (Jaccard index). */
    maxJaccard: share.default(GUARD_DEFAULTS.maxJaccard),
    /**
     * A server's routine refresh as events arrive (live segments): the values (RFM, CLV, cluster assignments) are
     * re-scored only at the first refresh of a UTC day — re-scoring a million customers every few seconds would
     * keep the segments from being live, and RFM's recency counts whole days — and the size and near-copy
     * warnings, which nobody reads there, are left out.
     */
    live: z.boolean().default(false),
  })
  .strict();

/** A warning of a refresh: the size guard's, or an as-of past the data's end (refresh-guard.ts). */
export type RefreshWarning =
  | GuardWarning
  | { readonly kind: "as-of-after-data"; readonly segments: string[]; readonly message: string };

/** What `segment.refresh` did, how its as-of was chosen, and what the guards found. */
export type SegmentRefresh = PipelineRefresh & {
  readonly warnings: RefreshWarning[];
  readonly asOfChoice: AsOfChoice;
};

/**
 * `segment.refresh`: brings values (RFM, CLV, clusters) and every saved segment to one as-of time, records who
 * entered and left, then warns about segments too small to act on and about near-copies. A backtest changes no
 * memberships, so there is nothing new to warn about: it has no warnings.
 */
export const segmentRefreshOperation = defineOperation({
  name: "segment.refresh",
  summary: "bring values and every saved segment to one as-of time; record who entered and left",
  input: SegmentRefreshInput,
  access: "write",
  run: async (session, input): Promise<SegmentRefresh> => {
    const last = input.asOf === undefined || input.live ? await lastRefresh(session) : null;
    // A live refresh never goes back before the last one (an event still to load may be older): it stays there.
    const given = input.live && input.asOf && last && input.asOf < last ? last : input.asOf;
    const { asOf, choice } = await chooseAsOf(
      session,
      given,
      new Date(),
      input.asOf === undefined ? last : null,
    );
    // Past the data's end, the refresh is tried first without recording: mass exits are refused unless forced.
    // (At the last refresh's own time the members on record are that time's: there is nothing to try.)
    const past = choice.basis === "last-refresh" ? null : await pastDataEnd(session, asOf, choice);
    if (past !== null && past.exits.length > 0 && !input.force) throw massExitError(asOf, past);
    const sameDay = (a: Date, b: Date) => a.toISOString().slice(0, 10) === b.toISOString().slice(0, 10);
    const result = await refreshAll(session, {
      asOf,
      ...(input.full ? { mode: "full" as const } : {}),
      // Values kept only when the last refresh (which scored them, or kept the day's first scoring) is of the same day.
      keepValues: input.live && last !== null && sameDay(last, asOf),
    });
    const { minSize, minShare, maxJaccard } = input;
    const warnings: RefreshWarning[] =
      result.stored && !input.live ? await sizeGuard(session, { minSize, minShare, maxJaccard }) : [];
    // Forced past a refusal: the record says what it cost. (A given as-of past the data's end that empties nothing
    // much is said in the as-of note, not warned about.)
    if (past !== null && past.exits.length > 0)
      warnings.unshift({
        kind: "as-of-after-data",
        segments: past.exits.map((e) => e.id),
        message: pastDataEndWarning(past),
      });
    return { ...result, warnings, asOfChoice: choice };
  },
});

export const SegmentMembersInput = z
  .object({
    id: z.string(),
    /** At most this many customers (default all). */
    limit: wholeNumber(1).optional(),
  })
  .strict();

/**
 * `segment.members`: the customers in a segment at the last refresh, by id. A segment saved since is refused:
 * the stays on record are an earlier version's.
 */
export const segmentMembersOperation = defineOperation({
  name: "segment.members",
  summary: "the customers in a segment now (at the last refresh)",
  input: SegmentMembersInput,
  access: "read",
  run: async (session, { id, limit }): Promise<{ id: string; customers: string[] }> => {
    await requireSegment(session, id);
    await requireEvaluated(session, [id], "segment members");
    return { id, customers: await segmentMembers(session, id, limit) };
  },
});

export const SegmentHistoryInput = z
  .object({
    id: z.string(),
    /** List up to this many ids of the customers who entered and left at each refresh (0: counts only). */
    withIds: wholeNumber(0).default(0),
  })
  .strict();

/** `segment.history`: a segment's size at each stored refresh, and who entered or left. */
export const segmentHistoryOperation = defineOperation({
  name: "segment.history",
  summary: "size over time, and who entered or left at each refresh",
  input: SegmentHistoryInput,
  access: "read",
  run: async (session, { id, withIds }): Promise<{ id: string; history: HistoryPoint[] }> => {
    await requireSegment(session, id);
    return { id, history: await segmentHistory(session, id, withIds) };
  },
});

export const SegmentPreviewInput = z
  .object({
    ...definitionFields,
    /** Evaluate as of this moment (default: the last refresh's, else now). */
    asOf: isoTime.optional(),
  })
  .strict();

/** `segment.preview`: a definition's size and a few of its customers' ids; nothing is saved. */
export const segmentPreviewOperation = defineOperation({
  name: "segment.preview",
  summary: "size and a few ids of a definition, nothing saved",
  input: SegmentPreviewInput,
  access: "read",
  run: async (session, input): Promise<Preview> =>
    previewSegment(
      session,
      definitionDocument(input),
      await asOfOrLastRefresh(session, input.asOf),
      SAMPLE_IDS,
      input.source,
    ),
});

export const SegmentDiffInput = SegmentPreviewInput;

/** `segment.diff`: who would enter and who would leave if the saved segment took this definition. */
export const segmentDiffOperation = defineOperation({
  name: "segment.diff",
  summary: "who would enter and leave if the saved segment took this definition",
  input: SegmentDiffInput,
  access: "read",
  run: async (session, input): Promise<Diff> =>
    diffSegment(
      session,
      definitionDocument(input),
      await asOfOrLastRefresh(session, input.asOf),
      SAMPLE_IDS,
      input.source,
    ),
});

export const SegmentExplainInput = z
  .object({
    id: z.string(),
    /** Evaluate as of this moment (default: the last refresh's, else now). */
    asOf: isoTime.optional(),
  })
  .strict();

/** `segment.explain`: a saved segment's SQL and how many customers pass each of its conditions, step by step. */
export const segmentExplainOperation = defineOperation({
  name: "segment.explain",
  summary: "the SQL of a segment and how many customers pass each condition, step by step",
  input: SegmentExplainInput,
  access: "read",
  run: async (session, { id, asOf }): Promise<Explanation> =>
    explainSegment(session, id, await asOfOrLastRefresh(session, asOf)),
});

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
  run: (session, { ids }): Promise<Overlap> => segmentOverlap(session, ids),
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
  run: (session, { ids, prefix }): Promise<Mece> => meceSegments(session, ids, { prefix }),
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
  run: async (session, { ids, prefix, asOf }): Promise<Mece> =>
    meceSegments(session, ids, {
      exclusive: true,
      prefix,
      asOf: await asOfOrLastRefresh(session, asOf),
    }),
});
