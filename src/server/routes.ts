import {
  type AnyOperation,
  auditOperation,
  clusterOperation,
  clusterSaveOperation,
  clustersAssignOperation,
  clustersListOperation,
  clustersRemoveOperation,
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  importBatchOperation,
  kpisOperation,
  paretoOperation,
  personasOperation,
  rfmOperation,
  segmentAddOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentHistoryOperation,
  segmentListOperation,
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentMembersOperation,
  segmentOverlapOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentRemoveOperation,
  segmentShowOperation,
  statsOperation,
  traitSetOperation,
  traitsOperation,
} from "../operations/index.js";

/**
 * The REST API's routes: each is one operation of the operations layer, its input assembled from the path's
 * parameters (`{id}` → the input's `id`) and either the JSON body (POST, PUT, PATCH) or the query string (GET,
 * DELETE: values typed by the operation's own schema). Reads of a resource are GET; computations whose input is
 * structured (a definition, a grouping) are POST, as search APIs do; writes are POST, PATCH or DELETE.
 *
 * Left out on purpose: `import` of paths and `generate` (they name files on the server's disk: uploads come
 * instead), and `demo` (it builds a database of its own).
 */
export interface Route {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI form: `/api/segments/{id}`. */
  readonly path: string;
  readonly op: AnyOperation;
  /** Whether the answer names people (ids or their data): logged as a read of personal data. */
  readonly personal?: boolean;
}

export const ROUTES: readonly Route[] = [
  { method: "GET", path: "/api/stats", op: statsOperation },
  { method: "GET", path: "/api/traits", op: traitsOperation },
  { method: "PATCH", path: "/api/traits/{name}", op: traitSetOperation },
  { method: "POST", path: "/api/imports/{kind}/rows", op: importBatchOperation },
  { method: "GET", path: "/api/audit", op: auditOperation },
  { method: "GET", path: "/api/segments", op: segmentListOperation },
  { method: "POST", path: "/api/segments", op: segmentAddOperation },
  { method: "POST", path: "/api/segments/refresh", op: segmentRefreshOperation },
  { method: "POST", path: "/api/segments/preview", op: segmentPreviewOperation },
  { method: "POST", path: "/api/segments/diff", op: segmentDiffOperation },
  { method: "POST", path: "/api/segments/overlap", op: segmentOverlapOperation },
  { method: "POST", path: "/api/segments/mece", op: segmentMeceOperation },
  { method: "POST", path: "/api/segments/mece/exclusive", op: segmentMeceExclusiveOperation },
  { method: "GET", path: "/api/segments/{id}", op: segmentShowOperation },
  { method: "DELETE", path: "/api/segments/{id}", op: segmentRemoveOperation },
  { method: "GET", path: "/api/segments/{id}/members", op: segmentMembersOperation, personal: true },
  { method: "GET", path: "/api/segments/{id}/history", op: segmentHistoryOperation, personal: true },
  { method: "GET", path: "/api/segments/{id}/explain", op: segmentExplainOperation },
  { method: "POST", path: "/api/rfm", op: rfmOperation },
  { method: "POST", path: "/api/clv/fit", op: clvFitOperation },
  { method: "POST", path: "/api/clv/predict", op: clvPredictOperation, personal: true },
  { method: "POST", path: "/api/clv/validate", op: clvValidateOperation },
  { method: "POST", path: "/api/pareto", op: paretoOperation },
  { method: "POST", path: "/api/kpis", op: kpisOperation },
  { method: "POST", path: "/api/clusterings/preview", op: clusterOperation },
  { method: "GET", path: "/api/clusterings", op: clustersListOperation },
  { method: "POST", path: "/api/clusterings", op: clusterSaveOperation },
  { method: "POST", path: "/api/clusterings/{name}/assign", op: clustersAssignOperation },
  { method: "DELETE", path: "/api/clusterings/{name}", op: clustersRemoveOperation },
  { method: "POST", path: "/api/personas", op: personasOperation },
];

/** The path's parameters, in order: `/api/segments/{id}/members` → ["id"]. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Whether a route takes its input from the query string rather than a body. */
export function takesQuery(route: Route): boolean {
  return route.method === "GET" || route.method === "DELETE";
}
