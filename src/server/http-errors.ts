import { isUserError, type UserError } from "../errors.js";

/** The body of every error answer: what, in words, and where (a field's path, a file, an option). */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly path: string | null };
}

/** Codes of what the caller named and the store does not hold. */
const NOT_FOUND = new Set([
  "unknown-segment",
  "unknown-customer",
  "unknown-clustering",
  "unknown-trait",
  "unknown-computed",
]);

/** Codes of a request that is well formed but clashes with what the store holds now. */
const CONFLICT = new Set([
  "duplicate-segment",
  "segment-in-use",
  "clustering-in-use",
  "would-replace",
  "as-of-after-data",
  "not-evaluated",
  "no-model",
  "no-spend-model",
]);

/** Codes of the server's own surroundings (its database), not of the request: the caller may try again later. */
const UNAVAILABLE = new Set([
  "database-locked",
  "engine-busy",
  "engine-unreachable",
  "damaged-database",
  "disk-full",
  "db-permission",
  "read-only-database",
]);

/**
 * The HTTP status of a user error: 400 for input that is not what the operation takes (its schema, an option), 404
 * for something named that does not exist, 409 for a clash with the store's state, 413 for a definition over the
 * limits, 503 for the database's surroundings, else 422 (well formed, but the data cannot give an answer: rows
 * rejected, too few customers, no purchases).
 */
export function statusOf(e: UserError): number {
  if (NOT_FOUND.has(e.code)) return 404;
  if (CONFLICT.has(e.code)) return 409;
  if (UNAVAILABLE.has(e.code)) return 503;
  if (e.code === "definition-too-long") return 413;
  if (e.code.startsWith("bad-") || e.code === "invalid-segment") return 400;
  return 422;
}

/**
 * A user error as the answer's body. The operations name a field of their input `operation: field.path`
 * (parseInput): the answer gives the field's path alone, as the request wrote it.
 */
export function userErrorBody(e: UserError, operation?: string): ErrorBody {
  const prefix = operation === undefined ? "" : `${operation}: `;
  const path = e.where?.startsWith(prefix) ? e.where.slice(prefix.length) : e.where;
  return { error: { code: e.code, message: e.reason, path: path ?? null } };
}

/**
 * What an error thrown while serving becomes: a user error its status and body; an error the HTTP layer raised
 * about the request (malformed JSON, a body over the limit, an unsupported content type: it carries a 4xx
 * `statusCode`) the same shape; anything else a 500 that says no more than that (the log has the rest).
 */
export function errorAnswer(e: unknown, operation?: string): { status: number; body: ErrorBody } {
  if (isUserError(e)) return { status: statusOf(e), body: userErrorBody(e, operation) };
  const http = e as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof http.statusCode === "number" && http.statusCode >= 400 && http.statusCode < 500)
    return {
      status: http.statusCode,
      body: {
        error: {
          code: requestErrorCode(http.statusCode),
          message: String(http.message ?? "bad request"),
          path: "body",
        },
      },
    };
  return { status: 500, body: { error: { code: "internal", message: "internal error", path: null } } };
}

function requestErrorCode(status: number): string {
  switch (status) {
    case 413:
      return "body-too-large";
    case 415:
      return "unsupported-media-type";
    case 404:
      return "no-such-route";
    default:
      return "bad-request";
  }
}
