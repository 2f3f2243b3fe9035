import { z } from "zod";
import { allows } from "../access/roles.js";
import { runClustering } from "../clustering/cluster.js";
import {
  removeClusterSegments,
  requireUnusedClustering,
  saveClusterSegments,
} from "../clustering/cluster-segments.js";
import type { ClusteringResult } from "../clustering/clustering-result.js";
import { type PersonaReport, personas } from "../clustering/personas.js";
import {
  assignAllClusterings,
  assignToClusters,
  CLUSTERING_NAME,
  checkClusteringName,
  listClusterings,
  loadClustering,
  removeClustering,
  type SavedClustering,
  saveClustering,
} from "../clustering/saved-clusterings.js";
import { isUserError, UserError } from "../errors.js";
import { isSmall, reportMinGroup, sizeHidden, suppressPartition } from "../privacy/k-gate.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup, wholeNumber } from "./schema-types.js";

/**
 * The domain's own words for why `name` cannot name a clustering, so that the operation's input check and
 * `saveClustering` say the same thing (the rule itself is the domain's `CLUSTERING_NAME`).
 */
function clusteringNameProblem(name: string): string {
  try {
    checkClusteringName(name, "");
  } catch (e) {
    if (isUserError(e)) return e.message;
    throw e;
  }
  return "not a clustering name";
}

/** A name a clustering can be saved under: it becomes a view `cluster_<name>` and the value `cluster.<name>`. */
const clusteringName = z
  .string()
  .regex(CLUSTERING_NAME, { error: (issue) => clusteringNameProblem(String(issue.input)) });

/** How a clustering is found (the input of `cluster`, and of `cluster.save` with where to save it). */
const clusterFields = {
  /** Feature names (the vocabulary of clustering/feature-spec.ts); absent: the default set. */
  features: z.array(z.string()).optional(),
  /** How many clusters, or "auto": the best silhouette from kMin to kMax. */
  k: z.union([z.literal("auto"), wholeNumber(1)]).default("auto"),
  /** The smallest k tried by k "auto" (default 2). */
  kMin: wholeNumber(2).optional(),
  /** The largest k tried by k "auto" (default 10). */
  kMax: wholeNumber(2).optional(),
  scale: z.enum(["standard", "robust", "none"]).default("standard"),
  /** "auto": log1p of counts and money. */
  log: z.enum(["auto", "none"]).default("auto"),
  /** Categorical traits one-hot encoded for k-means, or kept as they are for k-prototypes. */
  categorical: z.enum(["onehot", "kprototypes"]).default("onehot"),
  /** The same seed gives the same clusters. */
  seed: wholeNumber(0).default(1),
  /** k-means++ initialisations, the best kept (default 10 up to 50,000 customers, else 3). */
  nInit: wholeNumber(1).optional(),
  maxIter: wholeNumber(1).default(300),
  /** "auto": mini-batch above 2,000,000 customers. */
  algorithm: z.enum(["auto", "hamerly", "elkan", "lloyd", "minibatch"]).default("auto"),
  /** Clusters smaller than this are flagged (default: 10 or 1% of the customers). */
  minSize: wholeNumber(1).optional(),
  /** Merge clusters below minSize into their nearest neighbours instead of only flagging them. */
  mergeSmall: z.boolean().default(false),
  /** Also cluster visitors known only by an anonymous id. */
  includeAnonymous: z.boolean().default(false),
  /** Compute behaviour as of this moment (default: the end of the data's last day, at most now: as-of.ts). */
  asOf: isoTime.optional(),
};

/** The range of k tried by k "auto" must not be empty. */
const kRange = (i: { kMin?: number | undefined; kMax?: number | undefined }) =>
  i.kMin === undefined || i.kMax === undefined || i.kMax >= i.kMin;

export const ClusterInput = z
  .object(clusterFields)
  .strict()
  .refine(kRange, { message: "kMax must be at least kMin", path: ["kMax"] });

export const ClusterSaveInput = z
  .object({
    ...clusterFields,
    /** Store the clustering under this name: the computed value `cluster.<name>` and (see `segments`) segments. */
    saveAs: clusteringName,
    /** Also save a segment per cluster. */
    segments: z.boolean().default(true),
  })
  .strict()
  .refine(kRange, { message: "kMax must be at least kMin", path: ["kMax"] });

/** Where a clustering was saved, and what segments can use. */
export interface SavedAs {
  readonly name: string;
  /** The computed value that holds each customer's cluster: `cluster.<name>`. */
  readonly computed: string;
  /** The ids of the segments saved, one per cluster (none with `segments: false`). */
  readonly segments: string[];
}

/** How the time behaviour is computed at was chosen (as-of.ts: given, else the data's end, as every report). */
export interface AsOfContext {
  readonly asOfChoice: AsOfChoice;
}

/** A cluster as a report shows it: size, share, centre and name null when the k-gate suppressed it. */
export type GatedCluster = Omit<ClusteringResult["clusters"][number], "size" | "share" | "centroid"> & {
  readonly size: number | null;
  readonly share: number | null;
  readonly centroid: ClusteringResult["clusters"][number]["centroid"] | null;
  readonly suppressed: boolean;
};

/** What `cluster` reports: the clustering without its fitted model (not printable), and where it was saved. */
export type ClusterReport = Omit<ClusteringResult, "fitted" | "clusters" | "guard"> & {
  readonly clusters: readonly GatedCluster[];
  readonly guard: Omit<ClusteringResult["guard"], "merged"> & {
    readonly merged: readonly { cluster: number; size: number | null }[];
  };
  readonly saved: SavedAs | null;
  /** The k of the k-gate this report went through. */
  readonly minGroup: number;
} & AsOfContext;

/**
 * A clustering's report through the k-gate: the clusters divide the customers clustered, so a cluster is hidden
 * when it or the rest is small, and more by complementary suppression (the total minus the others); a hidden
 * cluster's centre (its members' mean values) and name (made from them) go with its size. The sizes of small
 * clusters merged away are counts of people too.
 */
function gateClusters(r: Omit<ClusteringResult, "fitted">, k: number) {
  const sizes = r.clusters.map((c) => c.size);
  const primary = sizes.map((n) => sizeHidden(n, r.customers, k));
  const p =
    sizes.reduce((a, b) => a + b, 0) === r.customers
      ? suppressPartition(sizes, k, primary)
      : { hidden: primary, totalHidden: false };
  const clusters: GatedCluster[] = r.clusters.map((c, i) => {
    const hide = p.hidden[i] === true || (p.totalHidden && c.size > 0);
    return hide
      ? { ...c, name: "(too small to describe)", size: null, share: null, centroid: null, suppressed: true }
      : { ...c, suppressed: false };
  });
  return {
    clusters,
    guard: {
      ...r.guard,
      merged: r.guard.merged.map((m) => ({ ...m, size: isSmall(m.size, k) ? null : m.size })),
    },
    minGroup: k,
  };
}

/**
 * `cluster`: finds segments by k-means (or k-prototypes) and reports them; nothing is saved. A read, so that a
 * long fit never holds back imports and refreshes.
 */
export const clusterOperation = defineOperation({
  name: "cluster",
  summary: "find segments: k-means (or k-prototypes) on chosen features, k by silhouette with k auto",
  input: ClusterInput,
  access: "read",
  async run(session, input): Promise<ClusterReport> {
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const { fitted: _fitted, ...report } = await runClustering(session, { ...input, asOf });
    const gated = gateClusters(report, await reportMinGroup(session));
    return { ...report, ...gated, saved: null, asOfChoice: choice };
  },
});

/**
 * `cluster.save`: `cluster`, then stores the model, each customer's cluster (the computed value
 * `cluster.<saveAs>`) and a segment per cluster, as of the data it was fitted on.
 */
export const clusterSaveOperation = defineOperation({
  name: "cluster.save",
  summary:
    "find segments by clustering and save them: the model, each customer's cluster, a segment per cluster",
  input: ClusterSaveInput,
  access: "write",
  async run(session, input, _emit, caller): Promise<ClusterReport> {
    const { saveAs, segments, ...options } = input;
    // The route asks write:values (a model and its values); the segments per cluster are segments too.
    if (segments && !allows(caller.role, "write:segments"))
      throw new UserError(
        "missing-permission",
        `saving a segment per cluster needs the permission write:segments, which the role ${caller.role} does not have: save the clustering alone (segments: false)`,
        "segments",
      );
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const clustering = await runClustering(session, { ...options, asOf });
    const { fitted: _fitted, ...report } = clustering;
    // The model, the assignments and the cluster segments go in together or not at all: a segment that fails
    // validation must not leave a clustering saved without its segments.
    const ids = await session.transaction(async () => {
      await saveClustering(session, saveAs, clustering);
      return segments ? saveClusterSegments(session, saveAs, clustering.clusters) : [];
    });
    return {
      ...report,
      ...gateClusters(report, await reportMinGroup(session)),
      saved: { name: saveAs, computed: `cluster.${saveAs}`, segments: ids },
      asOfChoice: choice,
    };
  },
});

export const ClustersListInput = z.object({}).strict();

/** `clusters.list`: the saved clusterings. */
export const clustersListOperation = defineOperation({
  name: "clusters.list",
  summary: "list saved clusterings",
  input: ClustersListInput,
  access: "read",
  run: async (session): Promise<{ clusterings: SavedClustering[] }> => ({
    clusterings: await listClusterings(session),
  }),
});

export const ClustersAssignInput = z
  .object({
    /** A saved clustering, or "all". */
    name: z.string(),
    /** Compute behaviour as of this moment (default: the end of the data's last day, at most now: as-of.ts). */
    asOf: isoTime.optional(),
  })
  .strict();

/**
 * One clustering's re-assignment: customers assigned, how many changed cluster, how many are new — counts of
 * people, null under k (the k-gate).
 */
export type ClusterAssignment = Omit<Awaited<ReturnType<typeof assignToClusters>>, "changed" | "added"> & {
  readonly changed: number | null;
  readonly added: number | null;
};

/** `clusters.assign`: puts every current customer (new ones included) in the nearest stored centre. */
export const clustersAssignOperation = defineOperation({
  name: "clusters.assign",
  summary: "re-assign every customer of a saved clustering (or all) to its nearest centre",
  input: ClustersAssignInput,
  access: "write",
  async run(session, input): Promise<{ assigned: ClusterAssignment[]; minGroup: number } & AsOfContext> {
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const opts = { asOf };
    const assigned =
      input.name === "all"
        ? await assignAllClusterings(session, opts)
        : [await assignToClusters(session, input.name, opts)];
    const k = await reportMinGroup(session);
    // Those who changed cluster and those who are new: the rest of the customers are shown, so both ways.
    const gate = (n: number, of: number) => (isSmall(n, k) || isSmall(of - n, k) ? null : n);
    return {
      assigned: assigned.map((a) => ({
        ...a,
        changed: gate(a.changed, a.customers),
        added: gate(a.added, a.customers),
      })),
      minGroup: k,
      asOfChoice: choice,
    };
  },
});

export const ClustersRemoveInput = z
  .object({
    /** A saved clustering. */
    name: z.string(),
  })
  .strict();

/**
 * `clusters.remove`: removes a saved clustering, its assignments, its computed value and the segments saved for
 * its clusters, in one transaction (a segment on a cluster that no longer exists could not be refreshed); refused,
 * with nothing removed, while other saved segments use it.
 */
export const clustersRemoveOperation = defineOperation({
  name: "clusters.remove",
  summary: "remove a saved clustering, its assignments, computed value and cluster segments",
  input: ClustersRemoveInput,
  access: "write",
  async run(session, input): Promise<{ removed: string }> {
    await session.transaction(async () => {
      // Every refusal comes before the first write: an engine without transactions could not undo one.
      await loadClustering(session, input.name, "clustering");
      await requireUnusedClustering(session, input.name);
      await removeClustering(session, input.name);
      await removeClusterSegments(session, input.name);
    });
    return { removed: input.name };
  },
});

export const PersonasInput = z
  .object({
    /** A clustering saved by `cluster` with saveAs: one persona per cluster. */
    clustering: z.string().optional(),
    /** A saved segment: its members at the last refresh. */
    segment: z.string().optional(),
    /** Distinguishing features per persona. */
    top: wholeNumber(1).default(5),
    /** Groups with fewer customers are suppressed (default: the database's min_group, which it may only raise). */
    minGroup: minGroup.optional(),
    /** Compute behaviour as of this moment (default: the end of the data's last day, at most now: as-of.ts). */
    asOf: isoTime.optional(),
  })
  .strict()
  .refine((i) => (i.clustering === undefined) !== (i.segment === undefined), {
    message: "give exactly one of clustering or segment",
    path: ["clustering"],
  });

/** `personas`: explains the clusters of a saved clustering, or a segment, in plain words. */
export const personasOperation = defineOperation({
  name: "personas",
  summary: "explain the clusters of a saved clustering, or a segment: what sets each group apart",
  input: PersonasInput,
  access: "read",
  async run(session, input): Promise<PersonaReport & AsOfContext> {
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const report = await personas(
      session,
      // The schema lets exactly one through.
      input.clustering !== undefined
        ? { clustering: input.clustering }
        : { segment: input.segment as string },
      { top: input.top, minGroup: await reportMinGroup(session, input.minGroup), asOf },
    );
    return { ...report, asOfChoice: choice };
  },
});
