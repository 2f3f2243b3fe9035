import type { Route } from "./route.js";
import { ACTIVATION_ROUTES } from "./routes-activation.js";
import { DATA_ROUTES } from "./routes-data.js";
import { EXPERIMENT_ROUTES } from "./routes-experiments.js";
import { PRIVACY_ROUTES } from "./routes-privacy.js";
import { SEGMENT_ROUTES } from "./routes-segments.js";
import { CLUSTERING_ROUTES, PLANNING_ROUTES, VALUE_ROUTES } from "./routes-values.js";

export type { Route } from "./route.js";

/**
 * The REST API's routes: each is one operation of the operations layer, its input assembled from the path's
 * parameters (`{id}` → the input's `id`) and either the JSON body (POST, PUT, PATCH) or the query string (GET,
 * DELETE, uploads: values typed by the operation's own schema). Reads of a resource are GET; computations whose
 * input is structured (a definition, a grouping) are POST, as search APIs do; writes are POST, PATCH or DELETE.
 * An upload's body is a file (`POST /api/imports/{kind}`: CSV, NDJSON/JSON, Parquet, gzip or not), which the server
 * copies to a temporary file and gives the operation as its one path (`files`), named by `?name=`.
 *
 * Left out on purpose: `import` of paths on the server's disk (an upload instead) and `generate` (it writes files
 * there), `demo` (it builds a database of its own) and `keys.*` (a key is made at the machine, by an admin).
 *
 * The areas' lists (routes-*.ts) in this order: the OpenAPI document lists the paths as they come, and the
 * server registers them so.
 */
export const ROUTES: readonly Route[] = [
  ...DATA_ROUTES,
  ...SEGMENT_ROUTES,
  ...VALUE_ROUTES,
  ...EXPERIMENT_ROUTES,
  ...PLANNING_ROUTES,
  ...CLUSTERING_ROUTES,
  ...PRIVACY_ROUTES,
  ...ACTIVATION_ROUTES,
];

/** The path's parameters, in order: `/api/segments/{id}/members` → ["id"]. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
}

/** Whether a route takes its input from the query string rather than a JSON body. */
export function takesQuery(route: Route): boolean {
  return route.method === "GET" || route.method === "DELETE" || route.upload === true;
}

/** The input fields the server fills in for an upload (from the body), never from the query string. */
export const UPLOAD_FIELDS = ["files"] as const;
