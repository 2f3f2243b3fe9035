/**
 * The HTTP API (src/server): every route in the OpenAPI document and the document valid OpenAPI 3.1; the routes
 * run the operations with the CLI's results; every kind of bad request answered with a 4xx and the error body,
 * nothing written; a real listening server stops cleanly.
 */

import { existsSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKey as createKeyForTest, revokeKey as revokeKeyForTest } from "../src/access/keys.js";
import { OPERATIONS, openForServing, type Store } from "../src/operations/index.js";
import { buildServer, type RequestLine } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { ROUTES } from "../src/server/routes.js";
import { serve } from "../src/server/serve.js";
import { apiKey, count, runCli, snapshot, tempDir, writeFile } from "./helpers.js";

/**
 * Operations no route serves, and why: they name files on the server's disk (generate, audience.export,
 * campaign.send), build a database of their own, or make and revoke keys (done at the machine, by an admin).
 */
const NOT_SERVED = new Set([
  "generate",
  "demo",
  "keys.create",
  "keys.list",
  "keys.revoke",
  "audience.export",
  "campaign.send",
]);

describe("the HTTP API", () => {
  let store: Store;
  let app: FastifyInstance;
  let admin: string;
  const lines: RequestLine[] = [];
  const errors: unknown[] = [];
  const db = `${tempDir()}/api.duckdb`;

  beforeAll(async () => {
    const dir = tempDir();
    const orders = writeFile(
      dir,
      "orders.csv",
      "order_id,customer_id,timestamp,total\n" +
        Array.from(
          // 120 customers, 300 orders: a segment's size passes the k-gate (no group under 10 is reported).
          { length: 300 },
          (_, i) => `o${i},c${i % 120},2024-0${1 + (i % 3)}-1${i % 10},${10 + i}`,
        ).join("\n") +
        "\n",
    );
    expect((await runCli("import", "orders", orders, "--db", db)).code).toBe(0);
    // Everyone consented to marketing by email: members are listed for that use (the consent gate).
    const consents = writeFile(
      dir,
      "consents.csv",
      `customer_id,purpose,channel,status,timestamp\n${Array.from({ length: 120 }, (_, k) => `c${k},marketing,email,granted,2024-01-01`).join("\n")}\n`,
    );
    expect((await runCli("import", "consents", consents, "--db", db)).code).toBe(0);
    admin = (await apiKey(db, "admin")).key;
    store = await openForServing(db);
    app = buildServer(store, {
      // Keys looked up at every request: the test revokes one and expects the next request refused.
      keys: new Authenticator(store, 0),
      log: (l) => lines.push(l),
      // A 500 fails the test with its cause.
      internalError: (e) => errors.push(e),
    });
  });
  afterEach(() => {
    expect(errors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const call = async (
    method: string,
    url: string,
    payload?: unknown,
    headers?: Record<string, string>,
    key: string | null = admin,
  ) => {
    const r = await app.inject({
      method: method as "GET",
      url,
      ...(payload === undefined ? {} : { payload: payload as string }),
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
    });
    return { status: r.statusCode, body: r.json() as Record<string, unknown> };
  };

  it("serves an OpenAPI 3.1 document that is valid and holds every route; every operation is served or said not to be", async () => {
    const { status, body: doc } = await call("GET", "/api/openapi.json");
    expect(status).toBe(200);
    const result = await new Validator().validate(doc as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    const paths = doc.paths as Record<string, Record<string, { operationId: string }>>;
    for (const r of ROUTES)
      expect(paths[r.path]?.[r.method.toLowerCase()]?.operationId, `${r.method} ${r.path}`).toBe(r.op.name);
    const served = new Set(ROUTES.map((r) => r.op.name));
    for (const op of OPERATIONS) expect(served.has(op.name) || NOT_SERVED.has(op.name), op.name).toBe(true);
    // A path parameter is a parameter, not a body field as well.
    const show = paths["/api/segments/{id}"]?.get as unknown as {
      parameters: { name: string; in: string }[];
    };
    expect(show.parameters).toEqual([expect.objectContaining({ name: "id", in: "path" })]);
  });

  it("runs the operations: the answers are the CLI's --json documents", async () => {
    const stats = await call("GET", "/api/stats");
    expect(stats).toEqual({
      status: 200,
      body: JSON.parse((await runCli("stats", "--db", db, "--json")).stdout),
    });
    expect(stats.body.orders).toBe(300);

    const added = await call("POST", "/api/segments", {
      definition: { id: "big", name: "Big spenders", where: { orders: "sum", of: "total", gte: 300 } },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    const refreshed = await call("POST", "/api/segments/refresh", { asOf: "2024-04-01" });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    // By hand: customer c(k) has the orders i ≡ k (mod 120), each totalling 10 + i: c0 … c59 three (390 + 3k),
    // c60 … c119 two (140 + 2k, 300 from k = 80 on): 100 customers.
    const spend = (k: number) => [k, k + 120, k + 240].filter((i) => i < 300).reduce((a, i) => a + 10 + i, 0);
    const expected = Array.from({ length: 120 }, (_, k) => k).filter((k) => spend(k) >= 300).length;
    expect(expected).toBe(100);
    expect(refreshed.body.segments).toEqual([expect.objectContaining({ id: "big", size: expected })]);
    const list = await call("GET", "/api/segments");
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain('"big"');
    // GET with a typed query: limit is a number in the schema, given as text.
    const members = await call("GET", "/api/segments/big/members?limit=2&purpose=marketing&channel=email");
    expect(members.status, JSON.stringify(members.body)).toBe(200);
    expect((members.body.customers as string[]).length).toBe(Math.min(2, expected));
    expect(lines.at(-1)).toMatchObject({
      method: "GET",
      url: "/api/segments/big/members?limit=2&purpose=marketing&channel=email",
      status: 200,
      operation: "segment.members",
      people: Math.min(2, expected),
    });
  });

  it("needs a key whose role has the route's permission; records every read of people in the audit log", async () => {
    const doc = await call("GET", "/api/openapi.json", undefined, undefined, null);
    expect(doc.status).toBe(200);
    // No key, a malformed one, one of no store: 401, asking for a Bearer key.
    for (const key of [null, "nope", `tsk_000000000000_${"A".repeat(43)}`]) {
      const r = await app.inject({
        method: "GET",
        url: "/api/stats",
        ...(key === null ? {} : { headers: { authorization: `Bearer ${key}` } }),
      });
      expect(r.statusCode, String(key)).toBe(401);
      expect(r.headers["www-authenticate"]).toBe("Bearer");
      expect(r.json().error.code).toBe("unauthorized");
    }
    // The keys are made while the server holds the store: through it, as the command does.
    const make = (role: "analyst" | "marketer" | "ingest") => store.write((s) => createKeyForTest(s, role));
    const [analyst, marketer, ingest] = [await make("analyst"), await make("marketer"), await make("ingest")];
    const status = async (method: string, url: string, key: string, payload?: unknown) =>
      (await call(method, url, payload, undefined, key)).status;
    expect(await status("GET", "/api/stats", analyst.key)).toBe(200);
    expect(await status("POST", "/api/pareto", analyst.key, {})).toBe(200);
    const denied = await call("GET", "/api/segments/big/members", undefined, undefined, analyst.key);
    expect(denied).toEqual({
      status: 403,
      body: {
        error: {
          code: "forbidden",
          message: `the permission read:consented-people is missing: segment.members needs it, and the role analyst of key ${analyst.id} does not have it`,
          path: null,
        },
      },
    });
    expect(await status("GET", "/api/audit", analyst.key)).toBe(403);
    expect(await status("POST", "/api/segments", analyst.key, { definition: {} })).toBe(403);
    // An analyst saves a clustering (write:values), not the segments per cluster that come with it by default.
    const clusterSegments = await call("POST", "/api/clusterings", { saveAs: "c" }, undefined, analyst.key);
    expect([clusterSegments.status, (clusterSegments.body.error as { path: string }).path]).toEqual([
      403,
      "segments",
    ]);
    // A marketer changes segments, and sees people only through the consent gate: for a purpose and a channel.
    expect(await status("GET", "/api/segments", marketer.key)).toBe(200);
    expect(
      await status("GET", "/api/segments/big/members?purpose=marketing&channel=email", marketer.key),
    ).toBe(200);
    const noPurpose = await call(
      "GET",
      "/api/segments/big/members?channel=email",
      undefined,
      undefined,
      marketer.key,
    );
    expect([noPurpose.status, noPurpose.body.error]).toEqual([
      400,
      { code: "bad-input", message: "a purpose is required", path: "purpose" },
    ]);
    expect(await status("GET", "/api/segments/big/history?withIds=3", marketer.key)).toBe(403);
    expect(await status("POST", "/api/rfm", marketer.key, {})).toBe(403);
    // An ingest key is for the tracking API alone.
    expect(await status("GET", "/api/stats", ingest.key)).toBe(403);
    // An admin reads members: recorded (who, what, when, how many) before the answer.
    const before = await store.read((s) => count(s, "SELECT count(*) FROM audit_log"));
    const members = await call("GET", "/api/segments/big/members?purpose=marketing&channel=email");
    expect(members.status).toBe(200);
    const n = (members.body.customers as string[]).length;
    const logged = await store.read(async (s) =>
      (await s.query('SELECT who, what, people FROM audit_log ORDER BY "at" DESC LIMIT 1')).rows(),
    );
    expect(await store.read((s) => count(s, "SELECT count(*) FROM audit_log"))).toBe(before + 1);
    expect(logged).toEqual([
      {
        who: expect.stringMatching(/^key [0-9a-f]{12} \(admin-[0-9a-f]{12}\)$/),
        what: "segment.members segment=big channel=email purpose=marketing",
        people: n,
      },
    ]);
    // A server remembers who a key is for a few seconds (a lookup per request would cost more than the request):
    // a key revoked meanwhile is refused once that has passed.
    const remembering = new Authenticator(store, 60_000);
    expect(await remembering.caller(analyst.key)).toMatchObject({ role: "analyst" });
    await store.write((s) => revokeKeyForTest(s, analyst.id));
    expect(await remembering.caller(analyst.key)).toMatchObject({ role: "analyst" });
    expect(await new Authenticator(store, 0).caller(analyst.key)).toBeNull();
    expect(await status("GET", "/api/stats", analyst.key)).toBe(401);
  });

  it("answers every kind of bad request with a 4xx and the error body, and writes nothing", async () => {
    const before = await store.read((s) => snapshot(s));
    const cases: [
      string,
      string,
      unknown,
      Record<string, string> | undefined,
      number,
      Record<string, unknown>,
    ][] = [
      // Malformed JSON.
      [
        "POST",
        "/api/segments",
        "{not json",
        { "content-type": "application/json" },
        400,
        { code: "bad-request" },
      ],
      // Not a JSON object.
      ["POST", "/api/segments", [1, 2], undefined, 400, { code: "bad-input", path: "body" }],
      // A field the operation does not take, named by its path.
      [
        "POST",
        "/api/segments/refresh",
        { full: true, fast: 1 },
        undefined,
        400,
        { code: "bad-input", path: "fast" },
      ],
      // A mistyped field.
      ["POST", "/api/segments/refresh", { full: "yes" }, undefined, 400, { code: "bad-input", path: "full" }],
      // A query value that is not its type.
      [
        "GET",
        "/api/segments/big/members?limit=lots&purpose=marketing&channel=email",
        undefined,
        undefined,
        400,
        { code: "bad-input", path: "limit" },
      ],
      // A definition the segment language refuses, with where in it.
      [
        "POST",
        "/api/segments/preview",
        { definition: { id: "x", name: "X", where: { trait: "nope", eq: 1 } } },
        undefined,
        400,
        { code: "invalid-segment", path: "definition.where.trait" },
      ],
      // Something named that does not exist.
      ["GET", "/api/segments/nobody", undefined, undefined, 404, { code: "unknown-segment" }],
      ["DELETE", "/api/segments/nobody", undefined, undefined, 404, { code: "unknown-segment" }],
      ["GET", "/api/nothing-here", undefined, undefined, 404, { code: "no-such-route" }],
      // The path and the body disagree.
      [
        "PATCH",
        "/api/traits/a",
        { name: "b", pii: true },
        undefined,
        400,
        { code: "bad-input", path: "name" },
      ],
      // Not JSON at all.
      [
        "POST",
        "/api/segments",
        "id,name",
        { "content-type": "text/csv" },
        415,
        { code: "unsupported-media-type" },
      ],
      // Over the body limit.
      [
        "POST",
        "/api/segments/preview",
        { definition: "x".repeat(2 * 1024 * 1024) },
        undefined,
        413,
        { code: "body-too-large" },
      ],
    ];
    for (const [method, url, payload, headers, status, error] of cases) {
      const r = await call(method, url, payload, headers);
      expect(r.status, `${method} ${url}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error, `${method} ${url}`).toMatchObject(error);
      expect(Object.keys(r.body.error as object).sort()).toEqual(["code", "message", "path"]);
    }
    expect(await store.read((s) => snapshot(s))).toBe(before);
  });
});

describe("tessera serve", () => {
  it("listens on loopback, answers, and stops cleanly, the store closed", async () => {
    const db = `${tempDir()}/serve.duckdb`;
    const { key } = await apiKey(db, "analyst");
    const lines: RequestLine[] = [];
    const serving = await serve({ db, port: 0, log: (l) => lines.push(l) });
    expect(serving.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${serving.url}/api/stats`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { customers: number }).customers).toBe(0);
    await serving.close();
    expect(lines).toEqual([expect.objectContaining({ method: "GET", url: "/api/stats", status: 200 })]);
    // Closed: the database opens again for the command line.
    expect((await runCli("stats", "--db", db)).code).toBe(0);
  });

  it("a port in use is a user error naming it", async () => {
    const a = await serve({ db: `${tempDir()}/a.duckdb`, port: 0 });
    const port = Number(new URL(a.url).port);
    try {
      const r = await runCli("serve", "--port", String(port), "--db", `${tempDir()}/b.duckdb`);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `tessera: --port: port ${port} on 127.0.0.1 is in use: choose another with --port\n`,
      );
    } finally {
      await a.close();
    }
  });
});

describe("tessera serve, the command", () => {
  it("serves until SIGTERM, logs one JSON line per request, and exits 0 once the requests in flight are done", async () => {
    const { spawn } = await import("node:child_process");
    const { join } = await import("node:path");
    const db = `${tempDir()}/cmd.duckdb`;
    const { key, id } = await apiKey(db, "admin");
    const auth = { headers: { authorization: `Bearer ${key}` } };
    const bin = join(import.meta.dirname, "..", "bin", "tessera.js");
    const log = `${tempDir()}/wal`;
    const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--db", db, "--tracking-log", log]);
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on("data", (b: Buffer) => {
        err += b.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+)\/api\//.exec(err);
        if (m) resolve(m[1] as string);
      });
      child.on("exit", () => reject(new Error(`exited early: ${err}`)));
    });
    expect((await fetch(`${url}/api/traits`, auth)).status).toBe(200);
    // The tracking API's log is where --tracking-log says.
    expect(existsSync(log)).toBe(true);
    expect((await fetch(`${url}/api/segments/none`, auth)).status).toBe(404);
    // The command line, on the database the server holds, is told which server holds it.
    const held = await runCli("stats", "--db", db);
    expect(held.code).toBe(1);
    expect(held.stderr).toBe(
      `tessera: ${db}: is held by the Tessera server at ${url} (process ${child.pid}): use its API (${url}/api/openapi.json lists it), or stop the server first\n`,
    );
    const code = await new Promise<number | null>((resolve) => {
      child.on("exit", (c) => resolve(c));
      child.kill("SIGTERM");
    });
    expect(code).toBe(0);
    // Stopped: the note is gone, and the database opens again.
    expect(existsSync(`${db}.served-by.json`)).toBe(false);
    expect((await runCli("stats", "--db", db)).code).toBe(0);
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RequestLine);
    expect(lines.map((l) => [l.method, l.url, l.status, l.operation, l.key])).toEqual([
      ["GET", "/api/traits", 200, "traits", id],
      ["GET", "/api/segments/none", 404, "segment.show", id],
    ]);
    expect(err).toContain("SIGTERM: finishing the requests in flight");
    expect(err).toContain("tessera: stopped");
  });
});
