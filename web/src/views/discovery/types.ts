/**
 * The answers of the discovery routes (src/operations/discovery-operations.ts, cluster-segment-operations.ts):
 * `GET /api/clusterings`, `POST /api/personas`, `POST /api/clusterings/preview` and `POST /api/clusterings`,
 * `POST /api/clusterings/{name}/segments`. Null figures are suppressed ones.
 */

export interface SavedClustering {
  name: string;
  k: number;
  model: string;
  features: string[];
  customers: number;
  inertia: number;
  silhouette: number | null;
  createdAt: string;
  assignedAt: string;
}

/** A numeric feature on which a group differs from everyone: means, and the standardised difference. */
export interface Difference {
  feature: string;
  label: string;
  group: number | null;
  base: number | null;
  difference: number;
}

export interface Persona {
  /** The cluster's number, as text. */
  group: string;
  name: string;
  size: number | null;
  share: number | null;
  suppressed: boolean;
  distinguishing: Difference[];
}

export interface PersonaReport {
  customers: number;
  asOf: string;
  personas: Persona[];
}

/** One k's scores when k is chosen automatically. */
export interface KScore {
  k: number;
  inertia: number;
  silhouette: number;
  daviesBouldin: number;
  calinskiHarabasz: number;
  stability: number;
}

export interface FoundCluster {
  id: number;
  name: string;
  size: number | null;
  share: number | null;
  /** The cluster's means in the features' own units (a category's most frequent level); null when suppressed. */
  centroid: Record<string, number | string | null> | null;
  small: boolean;
  suppressed: boolean;
}

export interface ClusterReport {
  k: number;
  silhouette: number | null;
  clusters: FoundCluster[];
  customers: number;
  features: string[];
  skipped: { feature: string; reason: string }[];
  model: string;
  seed: number;
  asOf: string;
  stability: number | null;
  scores?: KScore[];
  saved: { name: string; computed: string; segments: string[] } | null;
  minGroup: number;
}

/** What a clustering is found with (the form's fields, as the API takes them). */
export interface ClusterInput {
  k: "auto";
  kMin?: number;
  kMax?: number;
  seed?: number;
  features?: string[];
}
