import { type LookupAddress, lookup } from "node:dns";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { isIP } from "node:net";
import { isPrivateAddress } from "./private-addresses.js";

/**
 * One HTTP attempt of a webhook: a POST of the body with its headers, judged as the Standard Webhooks specification
 * says — a 2xx is delivered; anything else (a redirect, which is not followed; another status; a timeout; a refused
 * or reset connection) is a failure. Without `allowPrivate`, the address the connection goes to is checked as it is
 * resolved (not only when the destination was added: a name may later resolve elsewhere, DNS rebinding), so a
 * private, loopback or link-local address is never reached.
 */

export interface AttemptOutcome {
  /** The HTTP status, when an answer came. */
  readonly status: number | null;
  /** Why it failed, when it did (null for a 2xx). */
  readonly error: string | null;
  /** What the receiver asked for in `Retry-After`, in milliseconds, when it did. */
  readonly retryAfterMs: number | null;
  /** The receiver said 410 Gone: it wants no more deliveries (the specification: stop sending). */
  readonly gone: boolean;
}

/** A delivery attempt was stopped by its caller (a server shutting down): it counts as no attempt. */
export class AttemptAborted extends Error {
  override readonly name = "AttemptAborted";
}

/** Reads a host name's addresses and refuses any private one (the connection is made to what it hands back). */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, "", 0);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad)
      return callback(
        Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private address`), {
          code: "EPRIVATE",
        }),
        "",
        0,
      );
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first)
      return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
    callback(null, first.address, first.family);
  });
};

/** `Retry-After`: seconds, or an HTTP date. */
function retryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Words for a failed connection (the error's code, said plainly). */
function connectionError(e: NodeJS.ErrnoException, host: string): string {
  switch (e.code) {
    case "EPRIVATE":
      return `${e.message}: refused (the destination was not added with --allow-private)`;
    case "ECONNREFUSED":
      return `connection refused by ${host}`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot resolve ${host}`;
    case "ECONNRESET":
      return `connection reset by ${host}`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `${host} is unreachable`;
    default:
      return e.message || String(e.code ?? e);
  }
}

/**
 * POSTs `body` to `url` and says how it went. Never throws for the receiver's or the network's failures (they are
 * outcomes); throws `AttemptAborted` when `signal` stops it.
 */
export function postWebhook(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
  opts: { timeoutMs: number; allowPrivate: boolean; signal?: AbortSignal },
): Promise<AttemptOutcome> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const fail = (error: string, status: number | null = null): AttemptOutcome => ({
    status,
    error,
    retryAfterMs: null,
    gone: false,
  });
  // An address written in the URL is never looked up: checked here.
  if (!opts.allowPrivate && isIP(host) && isPrivateAddress(host))
    return Promise.resolve(
      fail(`${host} is a private address: refused (the destination was not added with --allow-private)`),
    );
  if (opts.signal?.aborted) return Promise.reject(new AttemptAborted("stopped"));
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (o: AttemptOutcome | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (o instanceof Error) reject(o);
      else resolve(o);
    };
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(body.length),
        "user-agent": "tessera-webhooks/1",
      },
      ...(opts.allowPrivate ? {} : { lookup: guardedLookup }),
    });
    const timer = setTimeout(() => {
      finish(fail(`no answer within ${Math.round(opts.timeoutMs / 1000)} s (timed out)`));
      req.destroy();
    }, opts.timeoutMs);
    const onAbort = () => {
      finish(new AttemptAborted("stopped"));
      req.destroy();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (e: NodeJS.ErrnoException) => finish(fail(connectionError(e, host))));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      // The answer's body is not needed: read and dropped so the connection can be reused.
      res.resume();
      res.on("error", () => {});
      if (status >= 200 && status < 300)
        return finish({ status, error: null, retryAfterMs: null, gone: false });
      finish({
        status,
        error:
          status >= 300 && status < 400
            ? `HTTP ${status}: a redirect (not followed; give the destination its final URL)`
            : `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ""}`,
        retryAfterMs: retryAfter(res.headers["retry-after"], Date.now()),
        gone: status === 410,
      });
    });
    req.end(body);
  });
}
