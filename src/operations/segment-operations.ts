import { z } from "zod";
import { allows } from "../access/roles.js";
import { refuseIfAudiencesUse } from "../activation/audiences.js";
import { refuseIfExperimentsUse } from "../experiments/experiments.js";
import { isSmall, reportMinGroup } from "../privacy/k-gate.js";
import {
  GUARD_DEFAULTS,
  type GuardWarning,
  gatedSegmentSizes,
  sizeGuard,
} from "../segments/membership-reports.js";
import {
  type GatedDiff,
  type GatedExplanation,
  type GatedPreview,
  gateDiff,
  gateExplanation,
  gateHistory,
  gatePreview,
} from "../segments/report-gate.js";
import { lastRefresh, latestRefresh } from "../segments/segment-refresh.js";
import {
  removeSegment,
  type SavedSegment,
  type SegmentVersion,
  saveSegment,
  segmentVersions,
} from "../segments/segment-store.js";
import { parseSegmentText } from "../segments/text/segment-document.js";
import { SegmentError, type SegmentIssue } from "../segments/validate.js";
import { diffSegment, explainSegment, previewSegment } from "../segments/what-if.js";
import type { Engine } from "../store/engine.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { type Caller, defineOperation } from "./operation.js";
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
export const segmentIds = z.array(z.string()).default([]);

/** How many example customer ids a what-if answer shows. */
const SAMPLE_IDS = 10;

/**
 * The time a look at segments evaluates them at when none is given: the last stored refresh's, so that it agrees
 * with the memberships on record; with no refresh yet, the default every command shares (as-of.ts: the end of the
 * data's last day, at most now).
 */
export async function asOfOrLastRefresh(session: Engine, asOf: Date | undefined): Promise<Date> {
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

/**
 * A saved segment with its size at the last refresh: null when its latest version has not been evaluated yet, or
 * when the k-gate suppressed it (`suppressed: true`: fewer than k people in it, or outside it).
 */
export type ListedSegment = SavedSegment & { readonly size: number | null; readonly suppressed: boolean };

/**
 * `segment.list`: the saved segments, by id, each with its size at the last refresh (through the k-gate). Cached
 * until a segment changes or the privacy settings do (min_group is the k). An import alone keeps the answer: the
 * sizes are the last refresh's, and the customers it adds were not there to be evaluated.
 */
export const segmentListOperation = defineOperation({
  name: "segment.list",
  summary: "list saved segments with their size at the last refresh",
  input: SegmentListInput,
  access: "read",
  // What a dashboard polls: kept in memory by a server until a segment is saved, removed or refreshed.
  cachedUntil: ["segments", "privacy"],
  // Its sizes take noise for an analyst while `dp` is on.
  noised: true,
  run: async (session, _input, _emit, caller): Promise<{ segments: ListedSegment[]; minGroup: number }> => {
    // A version saved after the last refresh has not been evaluated: its size is unknown, not 0 (and the open
    // stays, if any, are an earlier version's). Segments, sizes and k in one query: what dashboards poll.
    const { segments, sizes, hidden, k } = await gatedSegmentSizes(session, undefined, caller.noise);
    return {
      segments: segments.map((s) => ({
        ...s,
        size: hidden.has(s.id) ? null : (sizes.get(s.id) ?? null),
        suppressed: hidden.has(s.id),
      })),
      minGroup: k,
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
  cachedUntil: ["segments", "privacy"],
  noised: true,
  run: async (
    session,
    { id },
    _emit,
    caller,
  ): Promise<{
    id: string;
    versions: SegmentVersion[];
    size: number | null;
    suppressed: boolean;
    minGroup: number;
    evaluated: { asOf: string; refreshedAt: string } | null;
  }> => {
    const versions = await segmentVersions(session, id);
    // Gated as segment.list gates it (the same rule over the same sizes): the two never disagree.
    const { sizes, hidden, k } = await gatedSegmentSizes(session, undefined, caller.noise);
    // When the members on record were evaluated, and as of which time: the latest refresh, unless this version was
    // saved after it (not evaluated yet: its size is unknown, as in segment.list).
    if (sizes.get(id) === null)
      return { id, versions, size: null, suppressed: false, minGroup: k, evaluated: null };
    const suppressed = hidden.has(id);
    const size = suppressed ? null : (sizes.get(id) ?? 0);
    return { id, versions, size, suppressed, minGroup: k, evaluated: await latestRefresh(session) };
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
    // An audience over it would empty silently (and its destinations be told everyone left): refused, as a segment
    // that other segments use is.
    await refuseIfAudiencesUse(session, id);
    await refuseIfExperimentsUse(session, { segment: id });
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
  | { readonly kind: "as-of-after-data"; readonly segments: string[]; readonly message: string }
  /** A prediction that could not be fitted at this as-of kept its last values (src/predict/prediction-refresh.ts). */
  | { readonly kind: "prediction-kept"; readonly model: string; readonly message: string };

/** What `segment.refresh` did, how its as-of was chosen, and what the guards found (counts through the k-gate). */
export type SegmentRefresh = Omit<PipelineRefresh, "segments"> & {
  readonly segments: GatedRefreshedSegment[];
  readonly warnings: RefreshWarning[];
  readonly asOfChoice: AsOfChoice;
  readonly minGroup: number;
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
    const k = await reportMinGroup(session);
    const gate = await gatedSegmentSizes(session, k);
    const warnings: RefreshWarning[] =
      result.stored && !input.live
        ? await sizeGuard(session, { minSize, minShare, maxJaccard, k, hidden: gate.hidden })
        : [];
    // Forced past a refusal: the record says what it cost. (A given as-of past the data's end that empties nothing
    // much is said in the as-of note, not warned about.)
    if (past !== null && past.exits.length > 0)
      warnings.unshift({
        kind: "as-of-after-data",
        segments: past.exits.map((e) => e.id),
        message: pastDataEndWarning(past),
      });
    for (const kept of result.predictions?.kept ?? [])
      warnings.push({
        kind: "prediction-kept",
        model: kept.model,
        message: `${kept.model} kept its last values: ${kept.reason}`,
      });
    // How many customers each producer re-scored is a count of people too: null under k.
    const small = (n: number | null) => (n !== null && isSmall(n, k) ? null : n);
    const p = result.predictions;
    return {
      ...result,
      values: { ...result.values, rfm: small(result.values.rfm), clv: small(result.values.clv) },
      predictions: p && {
        ...p,
        churn: small(p.churn),
        recommend: small(p.recommend),
        propensities: Object.fromEntries(Object.entries(p.propensities).map(([n, c]) => [n, small(c)])),
      },
      segments: gateRefreshed(result.segments, gate, k, result.stored),
      warnings,
      asOfChoice: choice,
      minGroup: k,
    };
  },
});

/**
 * A refresh's sizes, entries and exits through the k-gate: a stored refresh's sizes as segment list now hides
 * them (the same sizes), a backtest's against the base; entries and exits when small; and since the size is the
 * size before (segment list showed it) plus entries minus exits, one hidden count of the three is matched by
 * another (report-gate.ts).
 */
export function gateRefreshed(
  segments: PipelineRefresh["segments"],
  gate: { hidden: ReadonlySet<string>; base: number },
  k: number,
  stored: boolean,
): GatedRefreshedSegment[] {
  return segments.map((s) => {
    const [g] = gateHistory(
      [{ asOf: "", size: s.size, entered: s.entered, exited: s.exited }],
      gate.base,
      k,
      stored ? gate.hidden.has(s.id) : undefined,
    );
    const size = g?.size ?? null;
    const entered = g?.entered ?? null;
    const exited = g?.exited ?? null;
    return { ...s, size, entered, exited, suppressed: size === null || entered === null || exited === null };
  });
}

/** A refreshed segment as the refresh reports it: counts null where the k-gate suppressed them. */
export type GatedRefreshedSegment = Omit<
  PipelineRefresh["segments"][number],
  "size" | "entered" | "exited"
> & {
  readonly size: number | null;
  readonly entered: number | null;
  readonly exited: number | null;
  readonly suppressed: boolean;
};

export const SegmentPreviewInput = z
  .object({
    ...definitionFields,
    /** Evaluate as of this moment (default: the last refresh's, else now). */
    asOf: isoTime.optional(),
  })
  .strict();

/**
 * How many example ids a what-if answer gives this caller: none to a role that may not see people (an analyst, or a
 * marketer, who sees people only through the consent gate), whose route is open to every reader of aggregates.
 */
const sampleFor = (caller: Caller): number => (allows(caller.role, "read:people") ? SAMPLE_IDS : 0);

/** `segment.preview`: a definition's size and a few of its customers' ids; nothing is saved. */
export const segmentPreviewOperation = defineOperation({
  name: "segment.preview",
  summary: "size and a few ids of a definition, nothing saved",
  input: SegmentPreviewInput,
  access: "read",
  run: async (session, input, _emit, caller): Promise<GatedPreview> =>
    gatePreview(
      await previewSegment(
        session,
        definitionDocument(input),
        await asOfOrLastRefresh(session, input.asOf),
        sampleFor(caller),
        input.source,
      ),
      await reportMinGroup(session),
    ),
});

export const SegmentDiffInput = SegmentPreviewInput;

/** `segment.diff`: who would enter and who would leave if the saved segment took this definition. */
export const segmentDiffOperation = defineOperation({
  name: "segment.diff",
  summary: "who would enter and leave if the saved segment took this definition",
  input: SegmentDiffInput,
  access: "read",
  run: async (session, input, _emit, caller): Promise<GatedDiff> => {
    const d = await diffSegment(
      session,
      definitionDocument(input),
      await asOfOrLastRefresh(session, input.asOf),
      sampleFor(caller),
      input.source,
    );
    const k = await reportMinGroup(session);
    const { sizes, hidden, base } = await gatedSegmentSizes(session, k);
    // The current size is the one segment.list shows when it is the same number (evaluated at the last refresh).
    const listed = sizes.get(d.id) === d.currentSize ? hidden.has(d.id) : undefined;
    return gateDiff(d, base, k, listed);
  },
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
  run: async (session, { id, asOf }): Promise<GatedExplanation> =>
    gateExplanation(
      await explainSegment(session, id, await asOfOrLastRefresh(session, asOf)),
      await reportMinGroup(session),
    ),
});
