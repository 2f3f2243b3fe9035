/**
 * Group calls through the real tracking API (`tessera serve`): accounts and their traits from
 * `@segment/analytics-node` and by hand, bad group messages refused with reasons, and segments on account traits
 * whose members follow group calls, account trait changes and identity merges through an incremental refresh.
 */
import { Analytics } from "@segment/analytics-node";
import { describe, expect, it } from "vitest";
import { type Serving, serve } from "../src/server/serve.js";
import { apiKey, basicAuth, storedRows, tempDir } from "./helpers.js";

const rows = storedRows;
const basic = basicAuth;

/** Posts a tracking call with the write key: the status and the JSON answer. */
function tracker(serving: Serving, writeKey: string) {
  return async (path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await fetch(`${serving.url}${path}`, {
      method: "POST",
      headers: { authorization: basic(writeKey), "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
}

/** Calls the REST API with an admin key: the JSON answer. */
function restApi(serving: Serving, admin: string) {
  return async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const r = await fetch(`${serving.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await r.json()) as Record<string, unknown>;
  };
}

/** Waits until the server has loaded `n` events (the loader works a moment after the acknowledgement). */
async function eventsLoaded(api: ReturnType<typeof restApi>, n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (((await api("GET", "/api/stats")).events as number) >= n) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`fewer than ${n} events loaded`);
}

describe("group calls (accounts) through the tracking API", () => {
  it("takes what @segment/analytics-node sends: accounts with their traits, merged over time, linked by group events", async () => {
    const db = `${tempDir()}/groups.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const serving = await serve({ db, port: 0, liveRefreshMs: null });
    try {
      const analytics = new Analytics({ writeKey, host: serving.url, flushAt: 10, flushInterval: 50 });
      analytics.identify({ userId: "u1", traits: { email: "ana@example.com" } });
      analytics.group({
        userId: "u1",
        groupId: "acme",
        traits: { name: "Acme Corp", industry: "Software", employees: 250 },
        context: { ip: "203.0.113.9" },
      });
      analytics.group({ userId: "u2", groupId: "globex", traits: { Industry: "Retail", employees: 40 } });
      // Without traits: the account is named all the same.
      analytics.group({ anonymousId: "anon-3", groupId: "initech" });
      // Later traits win, trait by trait; the others stay.
      analytics.group({ userId: "u1", groupId: "acme", traits: { employees: 300, plan: "enterprise" } });
      await analytics.closeAndFlush({ timeout: 10_000 });
    } finally {
      await serving.close();
    }
    expect(
      await rows(db, "SELECT account_id, name, industry, employees, plan FROM accounts ORDER BY account_id"),
    ).toEqual([
      { account_id: "acme", name: "Acme Corp", industry: "Software", employees: 300, plan: "enterprise" },
      { account_id: "globex", name: null, industry: "Retail", employees: 40, plan: null },
      { account_id: "initech", name: null, industry: null, employees: null, plan: null },
    ]);
    expect(await rows(db, "SELECT name, type FROM account_traits ORDER BY name")).toEqual([
      { name: "employees", type: "integer" },
      { name: "industry", type: "string" },
      { name: "name", type: "string" },
      { name: "plan", type: "string" },
    ]);
    // Each call is a group event of its person, naming the account; the IP address is not kept.
    const events = await rows(
      db,
      "SELECT customer_id, properties FROM events WHERE type = 'group' ORDER BY customer_id, ts",
    );
    expect(
      events.map((e) => [
        e.customer_id,
        (JSON.parse(e.properties as string) as { group_id: string }).group_id,
      ]),
    ).toEqual([
      ["anon:anon-3", "initech"],
      ["u1", "acme"],
      ["u1", "acme"],
      ["u2", "globex"],
    ]);
    // The call's traits are kept on its event too (what it said, when); the IP address is not.
    const firstAcme = String(events[1]?.properties);
    expect(firstAcme).not.toContain("203.0.113.9");
    expect(JSON.parse(firstAcme)).toMatchObject({ industry: "Software", employees: 250 });
  }, 60_000);

  it("refuses bad group messages with reasons, keeps the valid ones of a batch, and sets aside a trait of another type", async () => {
    const db = `${tempDir()}/bad-groups.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const admin = (await apiKey(db, "admin")).key;
    const serving = await serve({ db, port: 0, liveRefreshMs: null });
    const post = tracker(serving, writeKey);
    const api = restApi(serving, admin);
    try {
      const refused = async (body: unknown) => {
        const r = await post("/v1/group", body);
        expect(r.status, JSON.stringify(r.body)).toBe(400);
        return (r.body.error as { path: string; message: string }) ?? {};
      };
      expect(await refused({ userId: "u1", traits: { industry: "Software" } })).toMatchObject({
        path: "groupId",
        message: "group needs groupId (the account's id)",
      });
      expect(await refused({ userId: "u1", groupId: "g".repeat(513) })).toMatchObject({
        path: "groupId",
        message: "a groupId is text of at most 512 characters (or a number)",
      });
      expect(await refused({ userId: "u1", groupId: "acme", traits: "Software" })).toMatchObject({
        path: "traits",
        message: "must be a JSON object",
      });
      expect(await refused({ groupId: "acme" })).toMatchObject({ path: "userId" });
      expect(await refused({ userId: "u1", groupId: "acme", traits: { account_id: "other" } })).toMatchObject(
        {
          path: "traits.account_id",
          message: expect.stringContaining("the name of an account's own column"),
        },
      );
      const batch = await post("/v1/batch", {
        batch: [
          { type: "group", userId: "u1", groupId: 42, traits: { employees: 250 } },
          { type: "group", userId: "u2", traits: { employees: 10 } },
        ],
      });
      expect(batch.status).toBe(200);
      expect(batch.body).toMatchObject({ success: true, accepted: 1 });
      expect(batch.body.rejected).toEqual([
        { index: 1, path: "batch[1].groupId", reason: "group needs groupId (the account's id)" },
      ]);
      await eventsLoaded(api, 1);
      // employees is an integer now: a call giving text is acknowledged and its event kept, but the importer sets
      // its account row aside (as a file's row), and the account keeps its value.
      expect(
        (await post("/v1/group", { userId: "u3", groupId: 42, traits: { employees: "many" } })).status,
      ).toBe(200);
      await eventsLoaded(api, 2);
    } finally {
      await serving.close();
    }
    expect(await rows(db, "SELECT account_id, employees FROM accounts")).toEqual([
      { account_id: "42", employees: 250 },
    ]);
    expect(
      await rows(db, "SELECT customer_id FROM events WHERE type = 'group' ORDER BY customer_id"),
    ).toEqual([{ customer_id: "u1" }, { customer_id: "u3" }]);
  }, 60_000);

  it("segments on account traits follow group calls, trait changes and identity merges, incrementally", async () => {
    const db = `${tempDir()}/b2b.duckdb`;
    const writeKey = (await apiKey(db, "ingest")).key;
    const admin = (await apiKey(db, "admin")).key;
    const serving = await serve({ db, port: 0, liveRefreshMs: null });
    const post = tracker(serving, writeKey);
    const api = restApi(serving, admin);
    // The members as stored (listing them through the API needs their consent to a purpose: not this test's subject).
    const members = async () =>
      (
        await rows(
          db,
          "SELECT customer_id FROM segment_membership WHERE segment_id = 'software' AND exited_at IS NULL ORDER BY customer_id",
        )
      ).map((r) => r.customer_id as string);
    try {
      const first = await post("/v1/batch", {
        batch: [
          { type: "group", userId: "u1", groupId: "acme", traits: { industry: "Software", employees: 250 } },
          { type: "group", userId: "u2", groupId: "globex", traits: { industry: "Retail", employees: 40 } },
          { type: "group", anonymousId: "anon-3", groupId: "initech", traits: { industry: "Software" } },
        ],
      });
      expect(first.body).toMatchObject({ accepted: 3 });
      await eventsLoaded(api, 3);
      const added = await api("POST", "/api/segments", {
        definition: 'id: software\nname: Software companies\nwhere: account.industry = "Software"',
      });
      expect(added.error, JSON.stringify(added)).toBeUndefined();
      const full = await api("POST", "/api/segments/refresh", {});
      expect(full.mode, JSON.stringify(full)).toBe("full");
      expect(await members()).toEqual(["anon:anon-3", "u1"]);

      // Globex becomes a software company through u4's call: u2, its member since before, moves with it; the
      // anonymous visitor identifies as u3, and their account comes along.
      const second = await post("/v1/batch", {
        batch: [
          { type: "group", userId: "u4", groupId: "globex", traits: { industry: "Software" } },
          { type: "identify", userId: "u3", anonymousId: "anon-3" },
        ],
      });
      expect(second.body).toMatchObject({ accepted: 2 });
      await eventsLoaded(api, 5);
      const inc = await api("POST", "/api/segments/refresh", {});
      expect(inc.mode, JSON.stringify(inc)).toBe("incremental");
      expect(await members()).toEqual(["u1", "u2", "u3", "u4"]);
      // The refresh's report hides counts this small (k = 10); the stays it recorded say who entered: u2 and u4. u3's
      // stay is anon-3's, which the merge handed on (a stay is history), and nobody left.
      const asOf = (inc as { asOf: string }).asOf;
      const stays = await rows(
        db,
        "SELECT customer_id, entered_at, exited_at FROM segment_membership WHERE segment_id = 'software' ORDER BY customer_id",
      );
      expect(
        stays.filter((x) => (x.entered_at as Date).toISOString() === asOf).map((x) => x.customer_id),
      ).toEqual(["u2", "u4"]);
      expect(stays.filter((x) => x.exited_at !== null)).toEqual([]);
      expect((inc.segments as { id: string }[])[0]).toMatchObject({ id: "software", size: null, exited: 0 });
    } finally {
      await serving.close();
    }
  }, 60_000);
});
