import type { Centroid } from "./centroids.js";
import type { KScore } from "./choose-k.js";
import type { MergeSuggestion } from "./cluster-size-guard.js";
import type { FeatureTable } from "./feature-matrix.js";
import type { FeatureSpec } from "./feature-spec.js";
import type { Preprocessing } from "./preprocess.js";

/**
 * What a clustering run yields, apart from the code that runs it, so that storing it (`saved-clusterings.ts`)
 * does not depend on running it.
 */

/** One cluster of a result. */
export interface ClusterSummary {
  readonly id: number;
  /** A readable name from what distinguishes the cluster ("High income, low spend, 35–50, mostly mobile"). */
  readonly name: string;
  readonly size: number;
  readonly share: number;
  /** The centre in the features' own units. */
  readonly centroid: Centroid;
  /** Fewer customers than the minimum size. */
  readonly small: boolean;
}

/** A clustering: the CLI prints it, `saveClustering` stores it. */
export interface ClusteringResult {
  readonly k: number;
  readonly inertia: number;
  readonly silhouette: number | null;
  readonly clusters: readonly ClusterSummary[];
  readonly customers: number;
  readonly features: readonly string[];
  readonly columns: readonly string[];
  readonly skipped: Preprocessing["skipped"];
  readonly model: "kmeans" | "kprototypes";
  readonly algorithm: string;
  readonly seed: number;
  readonly asOf: string;
  /** Adjusted Rand index between two runs with other seeds (on a sample): 1 = the same clusters every time. */
  readonly stability: number | null;
  /** Every k's scores with `--k auto`. */
  readonly scores?: readonly KScore[];
  readonly guard: {
    readonly minSize: number;
    readonly small: readonly number[];
    readonly merged: readonly { cluster: number; size: number }[];
    readonly mergeSuggestions: readonly MergeSuggestion[];
  };
  /** Everything needed to store the model and assign customers later (not printed). */
  readonly fitted: FittedClustering;
}

/** The fitted model and the data it was fitted on. */
export interface FittedClustering {
  readonly specs: readonly FeatureSpec[];
  readonly table: FeatureTable;
  readonly preprocessing: Preprocessing;
  /** k×d centres in the preprocessed space (numeric part). */
  readonly centers: Float64Array;
  /** k×q categorical modes (k-prototypes). */
  readonly modes: Int32Array;
  readonly gamma: number;
  /** Each customer's cluster, in the table's order. */
  readonly labels: Int32Array;
  readonly includeAnonymous: boolean;
}

/**
 * Finds segments: extracts the features (one SQL query), preprocesses them, runs k-means (or k-prototypes for
 * categories), picks k by silhouette with `k: "auto"`, guards against tiny and overlapping clusters, and
 * describes each cluster in the features' own units. Clusters are numbered by size, largest first.
 */
