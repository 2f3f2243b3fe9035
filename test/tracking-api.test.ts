/**
 * The tracking API (Segment's HTTP Tracking API on `tessera serve`): the real `@segment/analytics-node` client
 * pointed at the server; each message rule by hand; and durability: a server killed (SIGKILL) again and again
 * while clients send loses no acknowledged event, and loads each exactly once.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { Analytics } from "@segment/analytics-node";
import { describe, expect, it } from "vitest";
import { serve } from "../src/server/serve.js";
import { apiKey, basicAuth, storedRows, tempDir } from "./helpers.js";

const rows = storedRows;
const basic = basicAuth;

describe("the tracking API", () => {
  it("takes what @segment/analytics-node sends: events, identities and traits reach the store", async () => {
    const db = `${tempDir()}/sdk.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const serving = await serve({ db, port: 0 });
    try {
      const analytics = new Analytics({ writeKey, host: serving.url, flushAt: 3, flushInterval: 50 });
      analytics.identify({
        anonymousId: "anon-1",
        userId: "u1",
        traits: { email: "Ana@Example.com", plan: "pro" },
      });
      analytics.track({
        userId: "u1",
        event: "Order Completed",
        properties: { revenue: 42.5, currency: "EUR" },
        context: { ip: "203.0.113.9", locale: "pt-PT" },
      });
      analytics.page({ anonymousId: "anon-2", name: "Pricing", properties: { path: "/pricing" } });
      analytics.track({ anonymousId: "anon-2", event: "Signed Up" });
      analytics.alias({ userId: "u2", previousId: "anon-2" });
      await analytics.closeAndFlush({ timeout: 10_000 });
    } finally {
      // Closing loads what the log holds.
      await serving.close();
    }
    const events = await rows(
      db,
      "SELECT type, event, customer_id, user_id, anonymous_id, properties FROM events ORDER BY ts, type",
    );
    expect(events.map((e) => [e.type, e.event])).toEqual(
      expect.arrayContaining([
        ["identify", null],
        ["track", "Order Completed"],
        ["page", "Pricing"],
        ["track", "Signed Up"],
        ["alias", null],
      ]),
    );
    expect(events).toHaveLength(5);
    const order = events.find((e) => e.event === "Order Completed") as {
      properties: string;
      customer_id: string;
    };
    const props = JSON.parse(order.properties) as Record<string, unknown>;
    expect(props).toMatchObject({ revenue: 42.5, currency: "EUR", context: { locale: "pt-PT" } });
    // The IP address is personal data: dropped.
    expect(JSON.stringify(props)).not.toContain("203.0.113.9");
    // One person across anonymous-1, u1 and her email; anon-2 aliased to u2.
    const ana = (await rows(db, "SELECT customer_id, email, plan FROM customers WHERE email IS NOT NULL"))[0];
    // The profile keeps the address as given (identities match it lower-cased).
    expect(ana).toMatchObject({ email: "Ana@Example.com", plan: "pro" });
    const signed = events.find((e) => e.event === "Signed Up") as { customer_id: string };
    const aliased = events.find((e) => e.type === "alias") as { customer_id: string };
    expect(signed.customer_id).toBe(aliased.customer_id);
    expect(order.customer_id).toBe((ana as { customer_id: string }).customer_id);
  }, 60_000);

  it("checks each message: keys, required fields, limits, clock skew, duplicates across restarts", async () => {
    const db = `${tempDir()}/rules.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const analyst = (await apiKey(db, "analyst")).key;
    let serving = await serve({ db, port: 0 });
    let now = 0;
    const post = async (path: string, body: unknown, auth: string | null = basic(writeKey)) => {
      const r = await fetch(`${serving.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    try {
      expect((await post("/v1/track", { userId: "a", event: "E" }, null)).status).toBe(401);
      expect((await post("/v1/track", { userId: "a", event: "E" }, basic("tsk_nope"))).status).toBe(401);
      const denied = await post("/v1/track", { userId: "a", event: "E" }, basic(analyst));
      expect(denied.status).toBe(403);
      expect((denied.body.error as { message: string }).message).toContain("the permission track is missing");
      // The REST API is not the ingest key's.
      const rest = await fetch(`${serving.url}/api/stats`, {
        headers: { authorization: `Bearer ${writeKey}` },
      });
      expect(rest.status).toBe(403);
      expect(await post("/v1/track", { event: "E" })).toMatchObject({
        status: 400,
        body: {
          error: { code: "bad-message", path: "userId", message: "userId or anonymousId is required" },
        },
      });
      expect((await post("/v1/track", { userId: "a" })).body.error).toMatchObject({ path: "event" });
      expect((await post("/v1/track", "{oops")).status).toBe(400);
      expect(
        (await post("/v1/track", { userId: "a", event: "E", properties: { x: "y".repeat(40_000) } })).status,
      ).toBe(413);
      // Times no real event has are refused before the answer, as an import refuses them.
      expect(
        (await post("/v1/track", { userId: "a", event: "E", timestamp: "9999-12-31T00:00:00Z" })).body.error,
      ).toMatchObject({ path: "timestamp", message: expect.stringContaining("implausible time 9999-12-31") });
      // Traits differing only in case are one trait: both identifies load.
      expect(
        (
          await post("/v1/batch", {
            batch: [
              { type: "identify", userId: "p1", traits: { Plan: "pro" } },
              { type: "identify", userId: "p2", traits: { plan: "free", "Favourite Colour": "red" } },
            ],
          })
        ).body,
      ).toMatchObject({ success: true, accepted: 2 });
      // A batch keeps the valid messages and names the others.
      const batch = await post("/v1/batch", {
        batch: [
          { type: "track", userId: "a", event: "Kept", messageId: "m-1", timestamp: "2026-01-01T10:00:00Z" },
          { type: "track", userId: "a", messageId: "m-2" },
          { type: "nope", userId: "a" },
          { type: "group", userId: "a" },
          // A trait named as a column Tessera fills itself would fail the load: refused before the answer.
          { type: "identify", userId: "a", traits: { First_Seen: "2020-01-01" } },
        ],
      });
      expect(batch.status).toBe(200);
      expect(batch.body).toMatchObject({ success: true, accepted: 1 });
      expect((batch.body.rejected as { path: string }[]).map((r) => r.path)).toEqual([
        "batch[1].event",
        "batch[2].type",
        "batch[3].groupId",
        "batch[4].traits.First_Seen",
      ]);
      // The client's clock is an hour behind: sentAt says so, and its timestamp is moved by the hour.
      now = Date.now();
      const behind = new Date(now - 3_600_000).toISOString();
      expect(
        (
          await post("/v1/track", {
            userId: "a",
            event: "Skewed",
            messageId: "m-3",
            timestamp: behind,
            sentAt: behind,
          })
        ).status,
      ).toBe(200);
      // Sent again after a restart: still one event.
      await serving.close();
      serving = await serve({ db, port: 0 });
      expect(
        (
          await post("/v1/track", {
            userId: "a",
            event: "Kept",
            messageId: "m-1",
            timestamp: "2026-01-01T10:00:00Z",
          })
        ).status,
      ).toBe(200);
    } finally {
      await serving.close();
    }
    const stored = await rows(
      db,
      "SELECT message_id, event, ts FROM events WHERE type = 'track' ORDER BY message_id",
    );
    expect(stored.map((e) => e.message_id)).toEqual(["m-1", "m-3"]);
    const skewed = (stored[1] as { ts: Date }).ts.getTime();
    expect(
      await rows(
        db,
        "SELECT customer_id, plan, favourite_colour FROM customers WHERE customer_id IN ('p1', 'p2') ORDER BY customer_id",
      ),
    ).toEqual([
      { customer_id: "p1", plan: "pro", favourite_colour: null },
      { customer_id: "p2", plan: "free", favourite_colour: "red" },
    ]);
    expect(Math.abs(skewed - now)).toBeLessThan(60_000);
  }, 60_000);

  it("limits requests per key: 429 with Retry-After, other keys unaffected", async () => {
    const db = `${tempDir()}/limits.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const other = (await apiKey(db, "ingest")).key;
    const admin = (await apiKey(db, "admin")).key;
    const serving = await serve({ db, port: 0, rateLimit: { perSecond: 1, burst: 2 } });
    const track = (key: string) =>
      fetch(`${serving.url}/v1/track`, {
        method: "POST",
        headers: { authorization: basic(key), "content-type": "application/json" },
        body: JSON.stringify({ userId: "u", event: "E" }),
      });
    try {
      expect([(await track(writeKey)).status, (await track(writeKey)).status]).toEqual([200, 200]);
      const limited = await track(writeKey);
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBe("1");
      expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate-limited");
      expect((await track(other)).status).toBe(200);
      // The REST API too.
      const rest = () => fetch(`${serving.url}/api/stats`, { headers: { authorization: `Bearer ${admin}` } });
      expect([(await rest()).status, (await rest()).status, (await rest()).status]).toEqual([200, 200, 429]);
    } finally {
      await serving.close();
    }
  });

  it("keeps segments live: a tracked event shows in the segment's members within seconds", async () => {
    const db = `${tempDir()}/live.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const admin = (await apiKey(db, "admin")).key;
    const serving = await serve({ db, port: 0, liveRefreshMs: 50 });
    const api = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${serving.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await r.json()) as Record<string, unknown>;
    };
    const track = (userId: string) =>
      fetch(`${serving.url}/v1/track`, {
        method: "POST",
        headers: { authorization: basic(writeKey), "content-type": "application/json" },
        body: JSON.stringify({ userId, event: "Order Completed" }),
      });
    try {
      // A segment names events the store has seen: one first.
      expect((await track("live-0")).status).toBe(200);
      for (let i = 0; i < 200 && ((await api("GET", "/api/stats")).events as number) < 1; i++)
        await new Promise((res) => setTimeout(res, 25));
      const added = await api("POST", "/api/segments", {
        definition: { id: "buyers", name: "Bought today", where: { event: "Order Completed", within: "1d" } },
      });
      expect(added.error, JSON.stringify(added)).toBeUndefined();
      const before = await api("GET", "/api/segments/buyers");
      expect(before.evaluated, JSON.stringify(before)).toBeNull();
      // Nine more people buy: ten in all, the smallest group a report shows (k = 10).
      const sent = Date.now();
      for (let i = 1; i <= 9; i++) expect((await track(`live-${i}`)).status).toBe(200);
      const everyone = Array.from({ length: 10 }, (_, i) => `live-${i}`);
      let members: string[] = [];
      while (Date.now() - sent < 10_000) {
        // The members as stored (listing them through the API needs their consent to a purpose: not this test's
        // subject).
        members = (
          await storedRows(
            db,
            "SELECT customer_id FROM segment_membership WHERE segment_id = 'buyers' AND exited_at IS NULL ORDER BY customer_id",
          )
        ).map((r) => r.customer_id as string);
        if (members.length === everyone.length) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(members).toEqual(everyone);
      expect(Date.now() - sent).toBeLessThan(5_000);
      // The segment says when it was evaluated, and as of which time (now, for live data).
      const shown = (await api("GET", "/api/segments/buyers")).evaluated as {
        asOf: string;
        refreshedAt: string;
      };
      expect(Math.abs(new Date(shown.asOf).getTime() - Date.now())).toBeLessThan(10_000);
      // Its size and the list's, which a server answers from memory, follow the live refresh too.
      let size: unknown = null;
      for (let i = 0; i < 100 && size !== 10; i++) {
        size = (await api("GET", "/api/segments/buyers")).size;
        if (size !== 10) await new Promise((res) => setTimeout(res, 50));
      }
      expect(size).toBe(10);
      const listed = (await api("GET", "/api/segments")).segments as { id: string; size: number }[];
      expect(listed.map((x) => [x.id, x.size])).toEqual([["buyers", 10]]);
    } finally {
      await serving.close();
    }
  }, 60_000);

  it("stops promptly on close although clients keep their connections open: answers in flight say connection: close", async () => {
    const { Agent, request } = await import("node:http");
    const db = `${tempDir()}/stop.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const serving = await serve({ db, port: 0, liveRefreshMs: null });
    const agent = new Agent({ keepAlive: true });
    const body = JSON.stringify({ userId: "u1", event: "Signed Up" });
    // A request in flight when the stop begins: half its body sent, the rest after.
    const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(
        `${serving.url}/v1/track`,
        {
          agent,
          method: "POST",
          headers: {
            authorization: basic(writeKey),
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 300);
    });
    await new Promise((res) => setTimeout(res, 100));
    const t0 = performance.now();
    const closed = serving.close();
    expect(await answer).toEqual({ status: 200, connection: "close" });
    await closed;
    // Not the keep-alive timeout (72 s): the connection closed with its answer.
    expect(performance.now() - t0).toBeLessThan(5_000);
    agent.destroy();
    expect(await rows(db, "SELECT event FROM events")).toEqual([{ event: "Signed Up" }]);
  }, 30_000);

  it("loses no acknowledged event when the server is killed (kill -9) again and again, and loads each once", async () => {
    const db = `${tempDir()}/durable.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const bin = join(import.meta.dirname, "..", "bin", "tessera.js");
    const acknowledged: string[] = [];
    let sent = 0;
    for (let run = 0; run < 4; run++) {
      const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--db", db]);
      let err = "";
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on("data", (b: Buffer) => {
          err += b.toString();
          const m = /at (http:\/\/127\.0\.0\.1:\d+)\/api\//.exec(err);
          if (m) resolve(m[1] as string);
        });
        child.on("exit", () => reject(new Error(`exited: ${err}`)));
      });
      const exited = new Promise<void>((r) => child.on("exit", () => r()));
      // Four clients send batches of 20 until the server dies under them.
      const client = async () => {
        for (;;) {
          const ids = Array.from({ length: 20 }, () => `r${run}-${sent++}`);
          const r = await fetch(`${url}/v1/batch`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: basic(writeKey) },
            body: JSON.stringify({
              batch: ids.map((messageId) => ({ type: "track", anonymousId: "v", event: "Tick", messageId })),
            }),
          }).catch(() => null);
          if (r === null) return;
          if (r.status === 200) acknowledged.push(...ids);
        }
      };
      const clients = Promise.all([client(), client(), client(), client()]);
      await new Promise((r) => setTimeout(r, 300 + run * 200));
      child.kill("SIGKILL");
      await exited;
      await clients;
    }
    // A last start loads what the log holds; a clean stop.
    const serving = await serve({ db, port: 0 });
    await serving.close();
    expect(acknowledged.length).toBeGreaterThan(100);
    const stored = (await rows(db, "SELECT message_id FROM events")).map((r) => r.message_id as string);
    expect(new Set(stored).size).toBe(stored.length);
    const have = new Set(stored);
    expect(acknowledged.filter((id) => !have.has(id))).toEqual([]);
  }, 120_000);
});
