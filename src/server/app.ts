import { isUtf8 } from "node:buffer";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { z } from "zod";
import { UserError } from "../errors.js";
import { PERMISSIONS, roleAllows } from "../operations/access-operations.js";
import {
  type AnyOperation,
  type Caller,
  parseInput,
  runParsed,
  type Store,
} from "../operations/operation.js";
import { Authenticator } from "./authenticator.js";
import { registerDashboard } from "./dashboard.js";
import { errorAnswer } from "./http-errors.js";
import { openApiDocument } from "./openapi.js";
import { RateLimiter, rateLimitedBody } from "./rate-limit.js";
import { pathParams, ROUTES, type Route, takesQuery, UPLOAD_FIELDS } from "./routes.js";
import {
  dispositionName,
  receiveUpload,
  removeUpload,
  tooLarge,
  UPLOAD_LIMIT,
  UPLOAD_PREFIX,
  uploadHeaders,
} from "./uploads.js";

/** One line per request, for the log (the server writes each as JSON). */
export interface RequestLine {
  readonly time: string;
  readonly method: string;
  readonly url: string;
  readonly status: number;
  readonly ms: number;
  /** The operation the route ran, if it matched one. */
  readonly operation: string | null;
  /** The id of the key the request came with, when it was a key of this store. */
  readonly key: string | null;
  /** How many people the answer named (recorded in the audit log); 0 for aggregates. */
  readonly people: number;
}

export interface ServerOptions {
  /** Receives one line per request answered. */
  readonly log?: (line: RequestLine) => void;
  /** The largest JSON request body, in bytes (default 1 MiB): a larger one is a 413. */
  readonly bodyLimit?: number;
  /** The largest upload (a file to import), in bytes (default 1 GiB): a larger one is a 413. */
  readonly uploadLimit?: number;
  /** Where uploads are copied while they are imported (default: the system's temporary folder). */
  readonly uploadDir?: string;
  /** Requests per key: the limiter (shared with the tracking routes), or its limit (default: rate-limit.ts). */
  readonly limiter?: RateLimiter;
  /** Who keys are (shared with the tracking routes; default: a new one over the store). */
  readonly keys?: Authenticator;
  /** Receives what went wrong inside the server (an answer of 500): the answer itself says no more. */
  readonly internalError?: (e: unknown, req: { method: string; url: string }) => void;
  /** The built dashboard to serve at `/` (dashboard.ts: `builtDashboard()`); none when null or left out. */
  readonly dashboard?: string | null;
}

/** Each operation's input fields as JSON Schema, made once per operation (not at every request). */
const propertiesOf = new WeakMap<AnyOperation, Record<string, { type?: unknown }>>();

/** The JSON Schema of an operation's input, as the query string's values are typed by it. */
function inputProperties(op: AnyOperation): Record<string, { type?: unknown }> {
  let props = propertiesOf.get(op);
  if (props === undefined) {
    const schema = z.toJSONSchema(op.input, { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, { type?: unknown }>;
    };
    props = schema.properties ?? {};
    propertiesOf.set(op, props);
  }
  return props;
}

/**
 * A query string's values typed as the operation's schema declares its fields (a query holds only text):
 * numbers, booleans and lists (comma-separated, or the parameter repeated). A value that does not read as its type
 * is passed on as text, for the schema to refuse with the field named.
 */
function typedQuery(op: AnyOperation, query: Record<string, unknown>): Record<string, unknown> {
  const props = inputProperties(op);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(query)) {
    const type = props[key]?.type;
    const text = Array.isArray(raw) ? raw.map(String) : String(raw);
    if (type === "array") out[key] = Array.isArray(text) ? text : text === "" ? [] : text.split(",");
    else if (Array.isArray(text)) out[key] = text;
    else if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(text))
      out[key] = Number(text);
    else if (type === "boolean" && (text === "true" || text === "false")) out[key] = text === "true";
    else out[key] = text;
  }
  return out;
}

/** The answer of a request without a valid key, or whose key's role lacks the route's permission. */
class Denied extends Error {
  constructor(
    readonly status: 401 | 403 | 429,
    readonly code: string,
    message: string,
    /** For a 429: the seconds to wait. */
    readonly retryAfter = 0,
  ) {
    super(message);
  }
}

/** The key of a request (`Authorization: Bearer KEY`), checked against the store, and its role's permission. */
async function authorize(
  keys: Authenticator,
  limiter: RateLimiter,
  route: Route | null,
  header: string | undefined,
) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m)
    throw new Denied(
      401,
      "unauthorized",
      "an API key is required: Authorization: Bearer KEY (an admin makes one with tessera keys create)",
    );
  const who = await keys.caller(m[1] as string);
  if (!who) throw new Denied(401, "unauthorized", "the API key is not valid (unknown, or revoked)");
  const wait = limiter.take(who.id);
  if (wait > 0) throw new Denied(429, "rate-limited", rateLimitedBody(wait).error.message, wait);
  if (route && !roleAllows(who.role, route.permission))
    throw new Denied(
      403,
      "forbidden",
      `the permission ${route.permission} is missing: ${route.op.name} needs it, and the role ${who.role} of key ${who.id} does not have it`,
    );
  return who;
}

/** A route's input: the path's parameters, with the JSON body's fields or the typed query string. */
function inputOf(route: Route, req: FastifyRequest): Record<string, unknown> {
  const params = req.params as Record<string, string>;
  if (takesQuery(route)) return { ...typedQuery(route.op, req.query as Record<string, unknown>), ...params };
  // No body is an empty input; a JSON `null` is a body, and not an object.
  const body = req.body === undefined ? {} : req.body;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new UserError("bad-input", "the request body must be a JSON object", "body");
  for (const name of pathParams(route.path))
    if (name in body && (body as Record<string, unknown>)[name] !== params[name])
      throw new UserError(
        "bad-input",
        `given in the path as "${params[name]}": leave it out of the body`,
        name,
      );
  return { ...(body as Record<string, unknown>), ...params };
}

/** A UTF-16 surrogate without its pair: JSON's `\ud800` escape gives one, and no UTF-8 text can hold it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Where in a parsed JSON value a string (or a key) holds a lone surrogate (`definition.name`), or null. */
function loneSurrogateAt(value: unknown, path: readonly string[] = []): string | null {
  if (typeof value === "string") return LONE_SURROGATE.test(value) ? path.join(".") || "body" : null;
  if (typeof value !== "object" || value === null) return null;
  for (const [key, v] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return [...path, key].join(".");
    const found = loneSurrogateAt(v, [...path, key]);
    if (found !== null) return found;
  }
  return null;
}

/**
 * Parses a JSON body with fastify's own parser (prototype poisoning refused), after the checks it leaves out:
 * bytes that are not UTF-8 (it would read them as U+FFFD, silently) and escapes of lone surrogates (the store
 * would keep U+FFFD instead), each a 400 naming where.
 */
function jsonBodyParser(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser("error", "error");
  return (req: FastifyRequest, body: Buffer, done: (e: Error | null, value?: unknown) => void): void => {
    if (!isUtf8(body)) {
      done(new UserError("bad-request", "the body is not UTF-8 text, as JSON must be", "body"));
      return;
    }
    const text = body.toString("utf8");
    void parse(req, text, (e, value) => {
      if (e) return done(e);
      const at = /\\u[dD][89abcdefABCDEF]/.test(text) ? loneSurrogateAt(value) : null;
      if (at !== null)
        return done(
          new UserError(
            "bad-request",
            "holds a lone surrogate (an unpaired \\ud800–\\udfff escape): not text",
            at,
          ),
        );
      done(null, value);
    });
  };
}

/**
 * Runs an upload's import: the input from the query string (checked before the body is read), the body streamed to
 * a temporary file under the limit, the operation run on that file; the file is removed whatever happens.
 */
async function runUpload(
  store: Store,
  route: Route,
  req: FastifyRequest,
  limit: number,
  dir: string,
  caller: Caller,
): Promise<unknown> {
  const headers = uploadHeaders(req.headers["content-type"], req.headers["content-encoding"]);
  if (Number(req.headers["content-length"]) > limit) throw tooLarge(limit);
  const query = inputOf(route, req);
  for (const field of UPLOAD_FIELDS)
    if (field in query)
      throw new UserError("bad-input", "the body is the file: leave this out of the query", field);
  const name =
    "name" in query ? query.name : (dispositionName(req.headers["content-disposition"]) ?? "upload");
  const given = {
    // A charset of the Content-Type is the file's encoding, unless the query says otherwise.
    ...(headers.charset === undefined ? {} : { encoding: headers.charset }),
    ...query,
    name,
  };
  // Checked with a stand-in path first: a bad option is refused before a byte of the body is read.
  const input = parseInput(route.op, { ...given, files: ["upload"] });
  const folder = await mkdtemp(join(dir, UPLOAD_PREFIX));
  try {
    const path = await receiveUpload(req.body as Readable | undefined, folder, limit, headers, String(name));
    return await runParsed(
      store,
      route.op,
      { ...(input as Record<string, unknown>), files: [path] },
      undefined,
      caller,
    );
  } finally {
    await removeUpload(folder);
  }
}

/**
 * The HTTP API over an open store (the second front door, beside the CLI): every route parses its input, runs one
 * operation in a session of the store (reads concurrently, writes one at a time: store.ts), and answers its result
 * as JSON — the CLI's `--json` document. Every route needs a key (`Authorization: Bearer KEY`) whose role has the
 * route's permission (401 without one, 403 naming the permission missing); answers that name people are
 * recorded in the audit log first. Errors answer `{"error": {"code", "message", "path"}}` with a 4xx for
 * anything the caller can fix (http-errors.ts), never a 500 for bad input. The OpenAPI 3.1 document of every route
 * is at `/api/openapi.json`.
 */
export function buildServer(store: Store, options: ServerOptions = {}): FastifyInstance {
  const app = Fastify({ bodyLimit: options.bodyLimit ?? 1024 * 1024, logger: false });
  // JSON only (text/plain is no input: a 415, as any other type), checked as fastify does not (jsonBodyParser).
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, jsonBodyParser(app));
  const limiter = options.limiter ?? new RateLimiter();
  const keys = options.keys ?? new Authenticator(store);
  const seen = new WeakMap<
    FastifyRequest,
    { route?: Route; key?: string; people: number; started: number }
  >();
  app.addHook("onRequest", async (req) => {
    seen.set(req, { people: 0, started: performance.now() });
  });
  app.addHook("onResponse", async (req, reply) => {
    const s = seen.get(req);
    options.log?.({
      time: new Date().toISOString(),
      method: req.method,
      url: req.url,
      status: reply.statusCode,
      ms: Math.round((performance.now() - (s?.started ?? performance.now())) * 10) / 10,
      operation: s?.route?.op.name ?? null,
      key: s?.key ?? null,
      people: s?.people ?? 0,
    });
  });
  app.setErrorHandler((error, req, reply) => {
    if (error instanceof Denied) {
      if (error.status === 401) void reply.header("www-authenticate", "Bearer");
      if (error.status === 429) void reply.header("retry-after", String(error.retryAfter));
      void reply
        .status(error.status)
        .send({ error: { code: error.code, message: error.message, path: null } });
      return;
    }
    const { status, body } = errorAnswer(error, seen.get(req)?.route?.op.name);
    if (status >= 500) options.internalError?.(error, req);
    void reply.status(status).send(body);
  });
  const page = options.dashboard ? registerDashboard(app, options.dashboard) : null;
  app.setNotFoundHandler((req, reply) => {
    // A view's own address (`/segments/x`) is the dashboard's page, which shows the view.
    if (page && req.method === "GET" && !/^\/(api|v1)(\/|$)/.test(req.url)) return page(reply);
    return reply.status(404).send({
      error: {
        code: "no-such-route",
        message: `no route ${req.method} ${req.url.split("?")[0]}`,
        path: null,
      },
    });
  });
  const uploadLimit = options.uploadLimit ?? UPLOAD_LIMIT;
  const uploadDir = options.uploadDir ?? tmpdir();
  const routeOf = (route: Route) => ({
    method: route.method,
    url: route.path.replace(/\{(\w+)\}/g, (_, name: string) => `:${name}`),
    handler: async (req: FastifyRequest) => {
      const s = seen.get(req) ?? { people: 0, started: performance.now() };
      s.route = route;
      const who = await authorize(keys, limiter, route, req.headers.authorization);
      s.key = who.id;
      const caller: Caller = { who: `key ${who.id} (${who.name})`, role: who.role };
      const result = route.upload
        ? await runUpload(store, route, req, uploadLimit, uploadDir, caller)
        : await runParsed(store, route.op, parseInput(route.op, inputOf(route, req)), undefined, caller);
      // Recorded in the audit log by the operation itself (runParsed) before it answered; the count again here.
      if (route.op.access !== "none" && route.op.people) s.people = route.op.people.count(result);
      return result;
    },
  });
  for (const route of ROUTES) if (!route.upload) app.route(routeOf(route));
  // Uploads in a scope of their own, whose one body parser hands the body on unread, whatever its type: the
  // handler checks the key before reading a byte, then streams it to disk (never whole in memory).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => done(null, payload));
    for (const route of ROUTES) if (route.upload) scope.route(routeOf(route));
  });
  // Who the caller is and what its role may do: the dashboard asks only what the role may see (a 403 is an error).
  app.get("/api/me", async (req) => {
    const who = await authorize(keys, limiter, null, req.headers.authorization);
    const s = seen.get(req);
    if (s) s.key = who.id;
    return { ...who, permissions: PERMISSIONS.filter((p) => roleAllows(who.role, p)) };
  });
  const document = openApiDocument(ROUTES);
  app.get("/api/openapi.json", async () => document);
  return app;
}
