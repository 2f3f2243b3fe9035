import type { AddressInfo } from "node:net";
import { UserError } from "../errors.js";
import { keyCreateOperation, keyListOperation, keyRevokeOperation } from "../operations/access-operations.js";
import { announceServer, openForServing, runOperation, type Store } from "../operations/operation.js";
import { loadTracked, trackingLogCodec } from "../operations/tracking-operations.js";
import { buildServer, type RequestLine } from "./app.js";
import { Authenticator } from "./authenticator.js";
import { builtDashboard } from "./dashboard.js";
import { DeliveryWorker } from "./delivery-worker.js";
import { LiveRefresh } from "./live-refresh.js";
import { type RateLimit, RateLimiter } from "./rate-limit.js";
import { RETENTION_EVERY_MS, RetentionSchedule } from "./retention-schedule.js";
import { registerTracking } from "./tracking.js";
import { TrackingLoader } from "./tracking-loader.js";
import { WriteAheadLog } from "./wal.js";

export interface ServeOptions {
  /** The database (as `--db`). */
  readonly db: string;
  /** Default 127.0.0.1: loopback unless told otherwise. */
  readonly host?: string;
  /** Default 8080; 0 takes any free port. */
  readonly port?: number;
  readonly log?: (line: RequestLine) => void;
  /** Receives what went wrong inside the server (a 500, or a load of tracked events that failed). */
  readonly internalError?: (e: unknown, req: { method: string; url: string }) => void;
  /** Requests per key and second, and the burst (default rate-limit.ts: 1,000 a second, bursts of 2,000). */
  readonly rateLimit?: RateLimit;
  /** Refresh the saved segments this long after tracked events are loaded (default 200 ms); null: never. */
  readonly liveRefreshMs?: number | null;
  /**
   * The folder of the tracking API's write-ahead log (default: beside the database: `<file>.tracking-log`, or
   * `<DIR>/tracking-log` for chdb:DIR, or `./tessera-tracking-log` for a ClickHouse server).
   */
  readonly trackingLog?: string;
  /** The largest file upload (`POST /api/imports/{kind}`), in bytes (default 1 GiB), and where it is kept meanwhile. */
  readonly uploadLimit?: number;
  readonly uploadDir?: string;
  /** Apply the retention periods this often, and once at start (default once a day); null: never. */
  readonly retentionEveryMs?: number | null;
  /** Look for webhook deliveries due this often (default every second); null: the server delivers none. */
  readonly deliveryPollMs?: number | null;
  /** Serve the built dashboard at `/` (default: when it is built, `npm run build`). */
  readonly dashboard?: boolean;
  /**
   * Make a new admin key named `dashboard` for the dashboard's address (`dashboardUrl`), revoking the one made so
   * by the last start: one such key at a time, shown only by the process that made it.
   */
  readonly dashboardKey?: boolean;
}

/** Where the write-ahead log lives when not told: beside the database it feeds. */
function defaultTrackingLog(db: string): string {
  if (db.startsWith("chdb:")) return `${db.slice(5)}/tracking-log`;
  if (/^clickhouses?:\/\//.test(db)) return "./tessera-tracking-log";
  return `${db.replace(/^duckdb:/, "")}.tracking-log`;
}

/** A running server: where it listens, and how to stop it. */
export interface Serving {
  readonly url: string;
  /** The dashboard's address (null when it is not built or not served), with the key when one was made for it. */
  readonly dashboardUrl: string | null;
  /**
   * Stops accepting connections, lets the requests in flight finish, loads what the tracking log holds, then
   * closes the store (which waits for its sessions: every write settled and on disk).
   */
  close(): Promise<void>;
}

/**
 * Opens the store and serves the HTTP API over it until `close`. It listens on loopback unless told otherwise;
 * every route needs an API key.
 */
export async function serve(options: ServeOptions): Promise<Serving> {
  const host = options.host ?? "127.0.0.1";
  const store = await openForServing(options.db);
  const dashboard = options.dashboard === false ? null : builtDashboard();
  const dashboardKey =
    dashboard && options.dashboardKey ? await keyForDashboard(store).catch(closeOnFailure(store)) : null;
  const limiter = new RateLimiter(options.rateLimit);
  const keys = new Authenticator(store);
  const app = buildServer(store, {
    dashboard,
    limiter,
    keys,
    ...(options.log ? { log: options.log } : {}),
    ...(options.internalError ? { internalError: options.internalError } : {}),
    ...(options.uploadLimit !== undefined ? { uploadLimit: options.uploadLimit } : {}),
    ...(options.uploadDir !== undefined ? { uploadDir: options.uploadDir } : {}),
  });
  // Acknowledged events first go to the log; what it holds from before (a crash, a stop) is loaded now.
  const wal = await WriteAheadLog.open(options.trackingLog ?? defaultTrackingLog(options.db), {
    codec: trackingLogCodec(),
  }).catch(closeOnFailure(store));
  // The refresh asks the loader (made next, before any refresh can run) what is still to load.
  const live: LiveRefresh | null =
    options.liveRefreshMs === null
      ? null
      : new LiveRefresh(store, {
          delayMs: options.liveRefreshMs ?? 200,
          onError: (e) => options.internalError?.(e, { method: "REFRESH", url: "segments" }),
          asOf: () => liveAsOf(new Date(), loader.pendingSince()),
          turn: () => loader.settled(),
        });
  // Loads and live refreshes take turns, each taking what it works on (records, an as-of) when its turn comes: an
  // event acknowledged during a refresh goes in the next load, and the refresh after it counts it.
  const loader: TrackingLoader = new TrackingLoader(wal, (rows) => loadTracked(store, rows), {
    onError: (e) => options.internalError?.(e, { method: "LOAD", url: "tracking-log" }),
    ...(live ? { onLoaded: (latest: Date | null) => live.changed(latest), turn: () => live.settled() } : {}),
  });
  registerTracking(app, keys, wal, loader, limiter);
  // Expired data goes on a schedule, as `tessera privacy apply-retention` removes it.
  const retention =
    options.retentionEveryMs === null
      ? null
      : new RetentionSchedule(store, {
          everyMs: options.retentionEveryMs ?? RETENTION_EVERY_MS,
          onError: (e) => options.internalError?.(e, { method: "RETENTION", url: "privacy" }),
        });
  // Once stopping, every answer closes its connection: a client that keeps its connection open (keep-alive) would
  // otherwise hold the stop for the whole keep-alive timeout (72 s), as idle connections are closed only once.
  let stopping = false;
  app.addHook("onSend", async (_req, reply, payload) => {
    if (stopping) void reply.header("connection", "close");
    return payload;
  });
  const port = options.port ?? 8080;
  try {
    await app.listen({ host, port });
  } catch (e) {
    await app.close();
    await retention?.close();
    await loader.close();
    await live?.close();
    await wal.close();
    await store.close();
    throw listenError(e, host, port);
  }
  // Webhook deliveries go out in the background: those each refresh records, and the retries that fall due.
  const deliveries =
    options.deliveryPollMs === null
      ? null
      : new DeliveryWorker(store, {
          pollMs: options.deliveryPollMs ?? 1000,
          onError: (e) => options.internalError?.(e, { method: "DELIVER", url: "destinations" }),
        });
  const address = app.server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}`;
  const withdraw = announceServer(options.db, url);
  let closing: Promise<void> | null = null;
  return {
    url,
    dashboardUrl: dashboard ? `${url}/${dashboardKey ? `#key=${dashboardKey}` : ""}` : null,
    close: () => {
      // Connections first (requests in flight finish), then what the log holds goes into the store, then the store.
      stopping = true;
      closing ??= app
        .close()
        .then(() => deliveries?.close())
        .then(() => retention?.close())
        .then(() => loader.close())
        .then(() => live?.close())
        .then(() => wal.close())
        .then(() => store.close())
        .then(withdraw);
      return closing;
    },
  };
}

/** The store is open: closed again on a failure before serving, so it leaves nothing held. */
function closeOnFailure(store: Store): (e: unknown) => Promise<never> {
  return async (e) => {
    await store.close();
    throw e;
  };
}

/** The name of the key `dashboardKey` makes. */
const DASHBOARD_KEY = "dashboard";

/** A new admin key for the dashboard, the last start's revoked (through the operations: the audit log has both). */
async function keyForDashboard(store: Store): Promise<string> {
  const caller = { who: "tessera serve --dashboard", role: "admin" as const };
  const { keys } = await runOperation(store, keyListOperation, {}, undefined, caller);
  for (const k of keys)
    if (k.name === DASHBOARD_KEY && k.revokedAt === null)
      await runOperation(store, keyRevokeOperation, { id: k.id }, undefined, caller);
  const made = await runOperation(
    store,
    keyCreateOperation,
    { role: "admin", name: DASHBOARD_KEY },
    undefined,
    caller,
  );
  return made.key;
}

/**
 * The as-of time of a live refresh: a quarter of a second before now (an event acknowledged this instant may not be queued for
 * loading yet), and before the earliest event still waiting to be loaded. An event then always lands after the
 * refresh that could not see it, and the next one counts it as new data — where a row dated before the last
 * refresh (late) makes the incremental refresh read every event of its person again, a scan of the whole events
 * table on a large store. Never before the last refresh: the operation keeps a live as-of from going back.
 */
export function liveAsOf(now: Date, pendingSince: Date | null): Date {
  const margin = now.getTime() - 250;
  return new Date(pendingSince === null ? margin : Math.min(margin, pendingSince.getTime() - 1));
}

/** Why the server could not listen, when it is the user's to fix (the port or the address). */
function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as { code?: string }).code;
  if (code === "EADDRINUSE")
    return new UserError(
      "port-in-use",
      `port ${port} on ${host} is in use: choose another with --port`,
      "--port",
    );
  if (code === "EACCES")
    return new UserError(
      "port-not-allowed",
      `port ${port} needs privileges this process lacks: choose one above 1023`,
      "--port",
    );
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
    return new UserError("bad-host", `${host} is not an address of this machine`, "--host");
  return e;
}
