/**
 * The consent ledger, the suppression list and access requests over the HTTP API: the same answers as the
 * command line, admins only (`manage:privacy`), and segment members for a marketer only through the consent gate.
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../src/access/keys.js";
import { openForServing, type Store } from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { apiKey, runCli, tempDir, writeFile } from "./helpers.js";

describe("consent and access requests over HTTP", () => {
  let store: Store;
  let app: FastifyInstance;
  let admin: string;
  let marketer: string;
  const errors: unknown[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    const db = `${dir}/api.duckdb`;
    const customers = writeFile(dir, "c.csv", "customer_id,email\nann,ann@example.com\nbob,\n");
    const orders = writeFile(
      dir,
      "o.csv",
      "order_id,customer_id,timestamp,total\no1,ann,2024-03-01,10\no2,bob,2024-03-02,20\n",
    );
    expect((await runCli("import", "customers", customers, "--db", db)).code).toBe(0);
    expect((await runCli("import", "orders", orders, "--db", db)).code).toBe(0);
    expect(
      (
        await runCli(
          "segment",
          "add",
          "--id",
          "buyers",
          "--name",
          "Buyers",
          "--where",
          "orders.count() >= 1",
          "--db",
          db,
        )
      ).code,
    ).toBe(0);
    expect((await runCli("segment", "refresh", "--as-of", "2024-04-01", "--db", db)).code).toBe(0);
    admin = (await apiKey(db, "admin")).key;
    store = await openForServing(db);
    marketer = (await store.write((s) => createKey(s, "marketer"))).key;
    app = buildServer(store, { keys: new Authenticator(store, 0), internalError: (e) => errors.push(e) });
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    expect(errors).toEqual([]);
  });

  const call = async (method: string, url: string, key: string, payload?: unknown) => {
    const r = await app.inject({
      method: method as "GET",
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  };

  it("records consent, lists the ledger and the members it lets through, and answers an access request", async () => {
    const person = encodeURIComponent("ann@example.com");
    const recorded = await call("POST", `/api/people/${person}/consents`, admin, {
      purpose: "marketing",
      channel: "email",
      status: "granted",
      at: "2024-01-01T00:00:00Z",
    });
    expect(recorded).toEqual({
      status: 200,
      body: {
        customerId: "ann",
        record: {
          purpose: "marketing",
          channel: "email",
          status: "granted",
          source: null,
          at: "2024-01-01T00:00:00.000Z",
        },
      },
    });
    const history = await call("GET", `/api/people/${person}/consents`, admin);
    expect(history.body.current).toEqual([
      { purpose: "marketing", channel: null, granted: true },
      { purpose: "marketing", channel: "email", granted: true },
    ]);
    const members = await call(
      "GET",
      "/api/segments/buyers/members?purpose=marketing&channel=email",
      marketer,
    );
    expect([members.status, members.body.customers]).toEqual([200, ["ann"]]);
    const suppressed = await call("POST", "/api/people/ann/suppressions", admin, { reason: "unsubscribed" });
    expect(suppressed.status).toBe(200);
    expect((await call("GET", "/api/privacy/suppressions", admin)).body.suppressions).toEqual([
      expect.objectContaining({ customerId: "ann", channel: null, reason: "unsubscribed" }),
    ]);
    expect(
      (await call("GET", "/api/segments/buyers/members?purpose=marketing&channel=email", marketer)).body
        .customers,
    ).toEqual([]);
    const lifted = await call("DELETE", "/api/people/ann/suppressions", admin);
    expect([lifted.status, (lifted.body.lifted as unknown[]).length]).toEqual([200, 1]);
    const access = await call("GET", `/api/people/${person}`, admin);
    expect(access.status).toBe(200);
    expect(access.body).toMatchObject({
      customerId: "ann",
      namedBy: "email",
      segments: [{ id: "buyers", why: { reason: "orders.count() = 1 ≥ 1", met: true, value: 1 } }],
    });
  });

  it("keeps privacy administration to admins, and refuses bad input with the field", async () => {
    for (const [method, url, payload] of [
      ["GET", "/api/people/ann", undefined],
      ["GET", "/api/people/ann/consents", undefined],
      ["POST", "/api/people/ann/consents", { purpose: "marketing", status: "granted" }],
      ["POST", "/api/people/ann/suppressions", { reason: "unsubscribed" }],
      ["GET", "/api/privacy/suppressions", undefined],
    ] as const)
      expect((await call(method, url, marketer, payload)).status, `${method} ${url}`).toBe(403);
    const bad = async (method: string, url: string, payload?: unknown) => {
      const r = await call(method, url, admin, payload);
      return [r.status, (r.body.error as { path: string | null }).path];
    };
    expect(await bad("GET", "/api/people/nobody")).toEqual([404, "person"]);
    expect(await bad("POST", "/api/people/ann/consents", { purpose: "marketing", status: "maybe" })).toEqual([
      400,
      "status",
    ]);
    expect(
      await bad("POST", "/api/people/ann/consents", {
        purpose: "marketing",
        status: "granted",
        at: "2999-01-01",
      }),
    ).toEqual([400, "at"]);
    expect(await bad("POST", "/api/people/ann/suppressions", { reason: "bored" })).toEqual([400, "reason"]);
    expect(await bad("GET", "/api/segments/buyers/members?purpose=marketing")).toEqual([400, "channel"]);
    // A history that lists who entered or left names people: a use is required for that too.
    expect(await bad("GET", "/api/segments/buyers/history?withIds=3")).toEqual([400, "purpose"]);
    const history = await call(
      "GET",
      "/api/segments/buyers/history?withIds=3&purpose=marketing&channel=email",
      admin,
    );
    expect((history.body.history as { enteredIds: string[] }[])[0]?.enteredIds).toEqual(["ann"]);
  });
});
