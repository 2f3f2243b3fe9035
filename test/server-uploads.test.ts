/**
 * Imports as uploads (`POST /api/imports/{kind}`, issue 16): the request body is the file — CSV, NDJSON, Parquet,
 * gzip-compressed or not — streamed to a temporary file and imported as `tessera import` imports one; the answer
 * is the import's summary, its rejected rows as values. Every failure (a bad kind, a bad row with `strict`, an empty
 * or oversize body, a role without write:data) is a 4xx that names the upload, leaves the store as it was and no
 * temporary file behind. The uploads go over a real connection, as the README's curl line sends them.
 */

import { readdirSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKey } from "../src/access/keys.js";
import { openForServing, type Store } from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { apiKey, snapshot, tempDir } from "./helpers.js";

const CUSTOMERS =
  "customer_id,email,plan\nc1,ana@example.com,pro\nc2,bo@example.com,free\nc3,cy@example.com,pro\n";

describe("imports as uploads", () => {
  let store: Store;
  let app: FastifyInstance;
  let url: string;
  let admin: string;
  /** Where the server copies uploads: empty again after every request. */
  const uploads = tempDir("tessera-uploads-");
  const errors: unknown[] = [];

  beforeAll(async () => {
    const db = `${tempDir()}/uploads.duckdb`;
    admin = (await apiKey(db, "admin")).key;
    store = await openForServing(db);
    app = buildServer(store, {
      keys: new Authenticator(store, 0),
      uploadDir: uploads,
      // Small, so that an oversize body is cheap to send.
      uploadLimit: 64 * 1024,
      internalError: (e) => errors.push(e),
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address() as { port: number };
    url = `http://127.0.0.1:${address.port}`;
  });
  afterEach(() => {
    // No request leaves its copy behind, and none is a 500.
    expect(readdirSync(uploads)).toEqual([]);
    expect(errors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  /** Sends a body as curl --data-binary does. */
  const upload = async (
    path: string,
    body: Buffer | string | ReadableStream<Uint8Array>,
    headers: Record<string, string> = {},
    key = admin,
  ) => {
    const r = await fetch(`${url}${path}`, {
      method: "POST",
      body,
      headers: { authorization: `Bearer ${key}`, ...headers },
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    } as RequestInit);
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const stats = async () =>
    (await (await fetch(`${url}/api/stats`, { headers: { authorization: `Bearer ${admin}` } })).json()) as {
      customers: number;
      events: number;
      orders: number;
    };
  const state = () => store.read((s) => snapshot(s));

  it("imports a CSV body, as the README's curl line sends it: the answer is the import's summary", async () => {
    // curl -s --data-binary @customers.csv -H 'content-type: text/csv' -H "authorization: Bearer $KEY" \
    //   'localhost:8080/api/imports/customers?name=customers.csv'
    const r = await upload("/api/imports/customers?name=customers.csv", CUSTOMERS, {
      "content-type": "text/csv",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      kind: "customers",
      file: "customers.csv",
      read: 3,
      accepted: 3,
      rejected: 0,
      rejectsFile: null,
      rejects: [],
      newTraits: [{ name: "plan", type: "string" }],
    });
    expect((await stats()).customers).toBe(3);
    // The same file again changes nothing.
    const again = await upload("/api/imports/customers?name=customers.csv", CUSTOMERS, {
      "content-type": "text/csv",
    });
    expect(again.body).toMatchObject({ read: 3, accepted: 0, alreadyPresent: 3 });
  });

  it("imports gzip-compressed CSV, NDJSON and Parquet, told by the content type or found from the bytes", async () => {
    const orders = "order_id,customer_id,timestamp,total\no1,c1,2024-01-05,10\no2,c2,2024-01-06,20\n";
    const gz = await upload("/api/imports/orders?name=orders.csv.gz", gzipSync(orders), {
      "content-type": "text/csv",
      "content-encoding": "gzip",
    });
    expect(gz.status, JSON.stringify(gz.body)).toBe(200);
    expect(gz.body).toMatchObject({ kind: "orders", file: "orders.csv.gz", read: 2, accepted: 2 });

    const ndjson = [
      { user_id: "c1", event: "Signed Up", timestamp: "2024-01-01T10:00:00Z", message_id: "m1" },
      { user_id: "c2", event: "Signed Up", timestamp: "2024-01-02T10:00:00Z", message_id: "m2" },
    ]
      .map((e) => JSON.stringify(e))
      .join("\n");
    const events = await upload("/api/imports/events", ndjson, { "content-type": "application/x-ndjson" });
    expect(events.status, JSON.stringify(events.body)).toBe(200);
    expect(events.body).toMatchObject({ kind: "events", file: "upload", accepted: 2 });
    // Gzip with no inner type: found from the decompressed bytes; the name from Content-Disposition.
    const more = `{"user_id": "c3", "event": "Signed Up", "timestamp": "2024-01-03T10:00:00Z", "message_id": "m3"}\n`;
    const sniffed = await upload("/api/imports/events", gzipSync(more), {
      "content-type": "application/gzip",
      "content-disposition": 'attachment; filename="../../etc/events.ndjson.gz"',
    });
    expect(sniffed.status, JSON.stringify(sniffed.body)).toBe(200);
    expect(sniffed.body).toMatchObject({ file: "events.ndjson.gz", accepted: 1 });

    // A Parquet file, made by DuckDB, sent as Parquet, as bytes of no declared type, and gzip-compressed.
    const dir = tempDir();
    const parquet = `${dir}/customers.parquet`;
    const duck = await DuckDBInstance.create(":memory:");
    const c = await duck.connect();
    await c.run(
      `COPY (SELECT * FROM (VALUES ('c4', 'di@example.com', 'pro'), ('c5', 'ed@example.com', 'free')) t(customer_id, email, plan)) TO '${parquet}' (FORMAT parquet)`,
    );
    c.closeSync();
    const bytes = readFileSync(parquet);
    const typed = await upload("/api/imports/customers?name=customers.parquet", bytes, {
      "content-type": "application/vnd.apache.parquet",
    });
    expect(typed.status, JSON.stringify(typed.body)).toBe(200);
    expect(typed.body).toMatchObject({ file: "customers.parquet", read: 2, accepted: 2 });
    const found = await upload("/api/imports/customers", bytes, {
      "content-type": "application/octet-stream",
    });
    expect(found.body).toMatchObject({ read: 2, alreadyPresent: 2 });
    const zipped = await upload("/api/imports/customers", gzipSync(bytes));
    expect(zipped.status, JSON.stringify(zipped.body)).toBe(200);
    expect(zipped.body).toMatchObject({ read: 2, alreadyPresent: 2 });
    expect(await stats()).toMatchObject({ customers: 5, orders: 2, events: 3 });
  });

  it("takes the import's options from the query string; a bad row comes back with its row, field and reason", async () => {
    const rows =
      "customer_id,purpose,status,timestamp\nc1,email,granted,2024-01-01\nc2,email,maybe,2024-01-02\n";
    const r = await upload("/api/imports/consents?name=consents.csv&onConflict=keep-first", rows, {
      "content-type": "text/csv",
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({
      file: "consents.csv",
      read: 2,
      accepted: 1,
      rejected: 1,
      onConflict: "keep-first",
    });
    expect(r.body.rejects).toEqual([
      {
        row: 2,
        field: "status",
        reason: expect.stringContaining("maybe"),
        values: { customer_id: "c2", purpose: "email", status: "maybe", timestamp: "2024-01-02" },
      },
    ]);
    // A delimiter and a mapping, typed from the query.
    const semi = "id;mail\nc6;fi@example.com\n";
    const mapped = await upload(
      `/api/imports/customers?delimiter=${encodeURIComponent(";")}&map=customer_id=id&map=email=mail`,
      semi,
      { "content-type": "text/csv" },
    );
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
    expect(mapped.body).toMatchObject({ accepted: 1 });
  });

  it("refuses, with a 4xx naming the upload and leaving the store as it was", async () => {
    const before = await state();
    const cases: [string, string | Buffer, Record<string, string>, number, Record<string, unknown>][] = [
      // A kind the importer does not know.
      [
        "/api/imports/visitors",
        CUSTOMERS,
        { "content-type": "text/csv" },
        400,
        { code: "bad-kind", path: "kind" },
      ],
      // A bad row, with strict: the error names the upload, the row and the field.
      [
        "/api/imports/orders?name=orders.csv&strict=true",
        "order_id,customer_id,timestamp,total\no9,c1,2024-01-05,10\no10,c1,2024-01-06,ten\n",
        { "content-type": "text/csv" },
        422,
        {
          code: "rows-rejected",
          path: "orders.csv",
          message: expect.stringMatching(/row 2, field total: .*nothing was imported/),
        },
      ],
      // Without a name, the upload is "upload"; bytes that are not UTF-8 are named by line.
      [
        "/api/imports/customers",
        Buffer.from("customer_id,city\nc1,M\xfcnchen\n", "latin1"),
        { "content-type": "text/csv" },
        400,
        { code: "bad-encoding", path: "upload", message: expect.stringContaining("line 2") },
      ],
      // An empty body.
      [
        "/api/imports/customers?name=empty.csv",
        "",
        { "content-type": "text/csv" },
        422,
        { path: "empty.csv" },
      ],
      // Over the limit (64 KiB in this test).
      [
        "/api/imports/customers",
        `customer_id\n${"c\n".repeat(40_000)}`,
        { "content-type": "text/csv" },
        413,
        { code: "body-too-large", path: "body" },
      ],
      // Said to be gzip, but not.
      [
        "/api/imports/customers",
        CUSTOMERS,
        { "content-type": "text/csv", "content-encoding": "gzip" },
        400,
        { code: "bad-upload" },
      ],
      // A gzip stream cut short.
      [
        "/api/imports/customers?name=cut.csv.gz",
        gzipSync(CUSTOMERS.repeat(50)).subarray(0, 60),
        { "content-type": "text/csv" },
        422,
        { code: "truncated-file", path: "cut.csv.gz" },
      ],
      // A form, not the file.
      [
        "/api/imports/customers",
        "a=b",
        { "content-type": "multipart/form-data; boundary=x" },
        415,
        { path: "content-type" },
      ],
      // Options the operation does not take, or not from a client: a path of the server's disk.
      ["/api/imports/customers?files=/etc/passwd", CUSTOMERS, {}, 400, { code: "bad-input", path: "files" }],
      [
        "/api/imports/customers?rejects=/tmp/x.csv",
        CUSTOMERS,
        {},
        400,
        { code: "bad-input", path: "rejects" },
      ],
      ["/api/imports/customers?strict=maybe", CUSTOMERS, {}, 400, { code: "bad-input", path: "strict" }],
      ["/api/imports/customers?map=nonsense", CUSTOMERS, {}, 400, { code: "bad-mapping", path: "map" }],
      ["/api/imports/customers?name=%00", CUSTOMERS, {}, 400, { code: "bad-input", path: "name" }],
    ];
    for (const [path, body, headers, status, error] of cases) {
      const r = await upload(path, body, headers);
      expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.body.error, path).toMatchObject(error);
      expect(JSON.stringify(r.body), path).not.toContain(uploads);
      expect(readdirSync(uploads), path).toEqual([]);
    }
    expect(await state()).toBe(before);
  });

  it("refuses a body streamed past the limit with no length given (chunked), leaving no file", async () => {
    const before = await state();
    const chunk = new TextEncoder().encode(`${"c,x\n".repeat(4096)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Well past the limit; the server stops reading at the limit.
        if (sent++ < 64) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const r = await upload("/api/imports/customers", body, { "content-type": "text/csv" });
    expect(r).toMatchObject({ status: 413, body: { error: { code: "body-too-large" } } });
    expect(await state()).toBe(before);
    // Still serving.
    expect((await stats()).customers).toBeGreaterThan(0);
  });

  it("needs a key whose role has write:data; the body is not read without one", async () => {
    const analyst = await store.write((s) => createKey(s, "analyst"));
    const before = await state();
    const denied = await upload(
      "/api/imports/customers",
      CUSTOMERS,
      { "content-type": "text/csv" },
      analyst.key,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      code: "forbidden",
      message: expect.stringContaining("write:data"),
    });
    const none = await upload("/api/imports/customers", CUSTOMERS, { "content-type": "text/csv" }, "nope");
    expect(none.status).toBe(401);
    expect(await state()).toBe(before);
  });

  it("is in the OpenAPI document: the query's options, the file as the body", async () => {
    const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { parameters: { name: string; in: string }[]; requestBody: unknown }>
      >;
    };
    const op = doc.paths["/api/imports/{kind}"]?.post;
    if (!op) throw new Error("no POST /api/imports/{kind} in the document");
    expect(op.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(["path:kind", "query:map", "query:onConflict", "query:name", "query:strict"]),
    );
    expect(op.parameters.map((p) => p.name)).not.toContain("files");
    expect(Object.keys((op.requestBody as { content: object }).content)).toEqual(
      expect.arrayContaining([
        "text/csv",
        "application/x-ndjson",
        "application/vnd.apache.parquet",
        "application/gzip",
      ]),
    );
  });
});

describe("tessera serve's upload limit", () => {
  it("serve({ uploadLimit }) bounds an upload (413); --upload-limit takes whole MiB", async () => {
    const { serve } = await import("../src/server/serve.js");
    const db = `${tempDir()}/limit.duckdb`;
    const { key } = await apiKey(db, "admin");
    const serving = await serve({ db, port: 0, uploadLimit: 1024, uploadDir: tempDir("tessera-uploads-") });
    try {
      const r = await fetch(`${serving.url}/api/imports/customers?name=big.csv`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "text/csv" },
        body: `customer_id\n${"c\n".repeat(1000)}`,
      });
      expect(r.status).toBe(413);
    } finally {
      await serving.close();
    }
    const { runCli } = await import("./helpers.js");
    const bad = await runCli("serve", "--upload-limit", "0", "--db", db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--upload-limit");
  });
});
