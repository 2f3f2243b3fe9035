import type { AnyOperation, Permission } from "../operations/index.js";

/**
 * One route of the REST API: an operation, the method and path it is served at, and the permission it needs.
 * Its own module so that routes.ts and the area lists it joins (routes-*.ts) all import it without a cycle.
 */
export interface Route {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI form: `/api/segments/{id}`. */
  readonly path: string;
  readonly op: AnyOperation;
  /** What the caller's role must allow (src/access/roles.ts). */
  readonly permission: Permission;
  /**
   * The body is a file (an upload): the server streams it to a temporary file, gives the operation its path as
   * `files` (one) and its name as `name`, and takes the other fields from the query string.
   */
  readonly upload?: true;
}
