/**
 * The audit log and the fairness check through the HTTP API: who may read the log (manage:privacy), reads of people
 * recorded under the key's name by the operation (the server's request log shows the same count), a denied read
 * recorded nowhere, fairness for any reader of aggregates and a 404 for an unknown segment.
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openForServing, type Store } from "../src/operations/index.js";
import { buildServer, type RequestLine } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { apiKey, runCli, tempDir, writeFile } from "./helpers.js";

describe("the privacy audit log and fairness over HTTP", () => {
  let store: Store;
  let app: FastifyInstance;
  let admin: { key: string; id: string };
  let analyst: { key: string; id: string };
  const lines: RequestLine[] = [];
  const db = `${tempDir()}/privacy-api.duckdb`;

  beforeAll(async () => {
    const dir = tempDir();
    const people = Array.from(
      { length: 40 },
      (_, i) => `c${i},${i % 2 ? "female" : "male"},${i < 20 ? "gold" : "basic"}`,
    );
    const customers = writeFile(dir, "customers.csv", `customer_id,gender,plan\n${people.join("\n")}\n`);
    const consents = writeFile(
      dir,
      "consents.csv",
      `customer_id,purpose,channel,status,timestamp\n${Array.from({ length: 12 }, (_, i) => `c${i},marketing,email,granted,2024-01-01`).join("\n")}\n`,
    );
    for (const args of [
      ["import", "customers", customers],
      ["import", "consents", consents],
      ["traits", "set", "gender", "--category", "sensitive"],
      ["segment", "add", "--id", "gold", "--name", "Gold", "--where", 'plan = "gold"'],
      ["segment", "refresh"],
    ]) {
      const r = await runCli(...args, "--db", db);
      expect(r.code, r.stderr).toBe(0);
    }
    admin = await apiKey(db, "admin");
    analyst = await apiKey(db, "analyst");
    store = await openForServing(db);
    app = buildServer(store, { keys: new Authenticator(store, 0), log: (l) => lines.push(l) });
  });
  afterAll(async () => {
    await app.close();
    await store.close();
  });

  const get = async (url: string, key: string) => {
    const r = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${key}` } });
    return { status: r.statusCode, body: r.json() };
  };

  it("serves the log to admins only, records reads of people by key, and verifies the chain", async () => {
    expect((await get("/api/privacy/audit-log", analyst.key)).status).toBe(403);
    const first = await get("/api/privacy/audit-log?verify=true", admin.key);
    expect(first.status).toBe(200);
    // The keys made and the trait marked sensitive, from the command line.
    const actions = first.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(["keys.create", "keys.create", "traits.set"]);
    expect(first.body.verification).toMatchObject({ ok: true, checked: 3, legacy: 0 });

    // Denied: nothing recorded.
    const url = "/api/segments/gold/members?purpose=marketing&channel=email";
    expect((await get(url, analyst.key)).status).toBe(403);
    const read = await get(url, admin.key);
    expect(read.status).toBe(200);
    // c0…c11 consented; of them the gold plan holds c0…c11 (the first 20 customers).
    expect(read.body.customers).toHaveLength(12);
    expect(lines.at(-1)).toMatchObject({ operation: "segment.members", people: 12, status: 200 });
    const after = await get("/api/privacy/audit-log?limit=1&verify=true", admin.key);
    expect(after.body.entries).toEqual([
      expect.objectContaining({
        seq: 4,
        who: `key ${admin.id} (admin-${admin.id})`,
        action: "segment.members",
        subject: "segment=gold channel=email",
        purpose: "marketing",
        people: 12,
      }),
    ]);
    expect(after.body.verification).toMatchObject({ ok: true, checked: 4 });
    expect((await get("/api/privacy/audit-log?limit=0", admin.key)).status).toBe(400);
  });

  it("answers fairness to a reader of aggregates, and 404 for an unknown segment", async () => {
    const f = await get("/api/segments/gold/fairness", analyst.key);
    expect(f.status).toBe(200);
    // 20 of 40 are gold, 10 women and 10 men among them: equal rates, nothing flagged.
    expect(f.body.traits[0]).toMatchObject({
      trait: "gender",
      flagged: [],
      groups: [
        { value: "female", segmentShare: 0.5, baseShare: 0.5, selectionRate: 0.5, impactRatio: 1 },
        { value: "male", segmentShare: 0.5, baseShare: 0.5, selectionRate: 0.5, impactRatio: 1 },
      ],
    });
    const unknown = await get("/api/segments/nope/fairness", analyst.key);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("unknown-segment");
  });
});
