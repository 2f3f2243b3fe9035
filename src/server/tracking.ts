import type { FastifyInstance } from "fastify";
import { roleAllows } from "../operations/access-operations.js";
import {
  BATCH_LIMIT,
  MESSAGE_LIMIT,
  TRACKING_CALLS,
  trackingRows,
} from "../operations/tracking-operations.js";
import type { Authenticator } from "./authenticator.js";
import { type RateLimiter, rateLimitedBody } from "./rate-limit.js";
import type { TrackingLoader } from "./tracking-loader.js";
import type { WriteAheadLog } from "./wal.js";

/**
 * Segment's HTTP Tracking API (`POST /v1/track|identify|page|screen|group|alias|batch`), so that existing SDKs
 * send here by changing their host. The write key is the HTTP Basic username (or a Bearer key) of a key whose role
 * may `track` (the ingest role). A request is answered 200 only once every message it accepts is in the
 * write-ahead log, synced; the loader puts them in the store soon after. Invalid messages of a batch are reported
 * with their reasons and the valid ones kept; a request with none valid is a 400.
 */
export function registerTracking(
  app: FastifyInstance,
  keys: Authenticator,
  wal: WriteAheadLog,
  loader: TrackingLoader,
  limiter: RateLimiter,
): void {
  for (const call of TRACKING_CALLS) {
    app.post(
      `/v1/${call}`,
      { bodyLimit: call === "batch" ? BATCH_LIMIT : MESSAGE_LIMIT },
      async (req, reply) => {
        const key = writeKey(req.headers.authorization);
        const who = key === null ? null : await keys.caller(key);
        if (who === null) {
          void reply.header("www-authenticate", 'Basic realm="tessera"');
          return reply.status(401).send({
            error: {
              code: "unauthorized",
              message:
                "a write key is required: HTTP Basic with the key as the user name (a key of role ingest)",
              path: null,
            },
          });
        }
        const wait = limiter.take(who.id);
        if (wait > 0)
          return reply.status(429).header("retry-after", String(wait)).send(rateLimitedBody(wait));
        if (!roleAllows(who.role, "track"))
          return reply.status(403).send({
            error: {
              code: "forbidden",
              message: `the permission track is missing: the role ${who.role} of key ${who.id} does not have it (make an ingest key)`,
              path: null,
            },
          });
        const length = Number(req.headers["content-length"]);
        const { rows, problems, messages } = trackingRows(
          call,
          req.body,
          new Date(),
          Number.isFinite(length) ? length : undefined,
        );
        const rejected = problems.map((p) => ({
          ...(call === "batch" ? { index: p.index } : {}),
          path: call === "batch" ? `batch[${p.index}]${p.path ? `.${p.path}` : ""}` : p.path,
          reason: p.reason,
        }));
        if (rows.length === 0) {
          const first = rejected[0];
          return reply.status(400).send({
            error: {
              code: "bad-message",
              message: first?.reason ?? "no message",
              path: first?.path ?? null,
            },
            rejected,
          });
        }
        const texts = rows.map((r) => JSON.stringify(r));
        const last = await wal.append(texts);
        loader.added(rows.map((row, i) => ({ seq: last - rows.length + 1 + i, row })));
        return { success: true, accepted: messages - problems.length, rejected };
      },
    );
  }
}

/** The key of a tracking request: HTTP Basic's user name (Segment's SDKs), or a Bearer key. */
function writeKey(header: string | undefined): string | null {
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
    const user = decoded.split(":")[0] ?? "";
    return user === "" ? null : user;
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return bearer ? (bearer[1] as string) : null;
}
