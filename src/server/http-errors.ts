import { isUserError, type UserError } from "../errors.js";

/** The body of every error answer: what, in words, and where (a field's path, a file, an option). */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly path: string | null };
}

/** Codes of what the caller named and the store does not hold. */
const NOT_FOUND = new Set([
  "unknown-segment",
  "unknown-customer",
  "unknown-person",
  "unknown-clustering",
  "unknown-trait",
  "unknown-computed",
  "unknown-audience",
  "unknown-destination",
  "unknown-campaign",
  "unknown-delivery",
  "unknown-experiment",
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
  "duplicate-audience",
  "duplicate-destination",
  "duplicate-campaign",
  "audience-in-use",
  "destination-in-use",
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
 * Codes of what the caller may not have, whatever the input: an answer the privacy settings keep from them, or a
 * part of a write its role may not make (a segment per cluster without write:segments).
 */
const FORBIDDEN = new Set(["not-under-dp", "privacy-budget-spent", "missing-permission"]);

/** Codes of a request over a limit: a definition, an upload. */
const TOO_LARGE = new Set(["definition-too-long", "body-too-large"]);

/**
 * The HTTP status of a user error: 400 for input that is not what the operation takes (its schema, an option, an
 * upload cut short), 403 for an answer the privacy settings keep from the caller (differential privacy: a report not
 * noised, a spent budget), 404 for something named that does not exist, 409 for a clash with the store's state, 413 for
 * a definition or an upload over the limits, 415 for an upload that is not a file the importer reads, 503 for the
 * database's surroundings, else 422 (well formed, but the data cannot give an answer: a file that cannot be read,
 * rows rejected, too few customers, no purchases).
 */
export function statusOf(e: UserError): number {
  if (NOT_FOUND.has(e.code)) return 404;
  if (CONFLICT.has(e.code)) return 409;
  if (FORBIDDEN.has(e.code)) return 403;
  if (UNAVAILABLE.has(e.code)) return 503;
  if (TOO_LARGE.has(e.code)) return 413;
  if (e.code === "unsupported-media-type") return 415;
  if (e.code.startsWith("bad-") || e.code === "invalid-segment" || e.code === "upload-aborted") return 400;
  return 422;
}

/**
 * Codes whose error names the command or a file, not the field (the importer's `import: unknown kind "x"`, the CLI's
 * words kept; a definition's problems, prefixed with the file it came from and listing their places in it): the
 * request's field they are about.
 */
const FIELD_OF_CODE: Readonly<Record<string, string>> = {
  "bad-kind": "kind",
  "invalid-segment": "definition",
};

/**
 * A command-line option named as the place of an error (`--allow-any-date`, `--map`: the importer speaks to the
 * CLI's user) is, in the API, the input field of the same name (`allowAnyDate`, `map`).
 */
function fieldOfOption(where: string): string {
  const option = /^--([a-z][a-z0-9-]*)$/.exec(where)?.[1];
  return option === undefined ? where : option.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A user error as the answer's body. The operations name a field of their input `operation: field.path`
 * (parseInput): the answer gives the field's path alone, as the request wrote it.
 */
export function userErrorBody(e: UserError, operation?: string): ErrorBody {
  const prefix = operation === undefined ? "" : `${operation}: `;
  // An operation that names itself as its command (`traits set`: nothing to change) names no field.
  const where = e.where === operation?.replaceAll(".", " ") ? undefined : e.where;
  const path = where?.startsWith(prefix) ? where.slice(prefix.length) : where;
  const field = FIELD_OF_CODE[e.code] ?? (path === undefined ? null : fieldOfOption(path));
  // A definition's problems carry their places in it (`where.all[1].within`, src/segments): the first one's, under
  // the request's field.
  const place = (e as { issues?: readonly { path?: unknown }[] }).issues?.[0]?.path;
  const within = field === "definition" && typeof place === "string" && place !== "" ? `.${place}` : "";
  return { error: { code: e.code, message: e.reason, path: field === null ? null : `${field}${within}` } };
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
