import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir, writeFile } from "../../test/helpers.js";
import { isUserError } from "../errors.js";
import type { ImportSummary } from "../ingest/import-types.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { type ImportEvent, importBatchOperation, importOperation } from "./ingest-operations.js";
import { runOperation } from "./operation.js";

let store: Store;
let dir: string;
beforeEach(async () => {
  store = await openStore(":memory:");
  dir = tempDir();
});
afterEach(() => store.close());

const ORDERS = "order_id,customer_id,timestamp,total\no1,c1,2024-01-01,5\no2,c2,2024-01-02,five\n";

async function failure(work: Promise<unknown>): Promise<Error> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

describe("import", () => {
  it("gives one file's summary, and tells each step and the summary as they happen", async () => {
    const path = writeFile(dir, "o.csv", ORDERS);
    const events: ImportEvent[] = [];
    const r = await runOperation(store, importOperation, { kind: "orders", files: [path] }, (e) =>
      events.push(e),
    );
    expect(r).toMatchObject({
      file: path,
      read: 2,
      accepted: 1,
      rejected: 1,
      rejectsFile: `${path}.rejects.csv`,
    });
    expect(existsSync(`${path}.rejects.csv`)).toBe(true);
    expect(events).toEqual([
      { type: "step", file: path, step: "reading and checking" },
      { type: "step", file: path, step: "linking identities" },
      { type: "step", file: path, step: "writing" },
      { type: "imported", summary: r },
    ]);
  });

  it("gives several files' summaries in order, and writes rejects where told", async () => {
    const a = writeFile(dir, "a.csv", ORDERS);
    const b = writeFile(dir, "b.csv", "order_id;customer_id;timestamp;total\no3;c3;2024-01-03;7\n");
    const rejects = join(dir, "bad.csv");
    const r = await runOperation(store, importOperation, {
      kind: "orders",
      files: [a, b],
      delimiter: undefined,
      rejects,
    });
    expect(
      "imports" in r && r.imports.map((s: ImportSummary) => [s.file, s.accepted, s.rejectsFile]),
    ).toEqual([
      [a, 1, rejects],
      [b, 1, null],
    ]);
  });

  it("refuses an unknown kind with the CLI's message, and no files at all", async () => {
    const kind = await failure(runOperation(store, importOperation, { kind: "visitors", files: ["x.csv"] }));
    expect(isUserError(kind)).toBe(true);
    expect(kind.message).toBe(
      'import: unknown kind "visitors" (expected one of customers, accounts, events, orders, order-lines, consents, survey-responses)',
    );
    const none = await failure(runOperation(store, importOperation, { kind: "orders", files: [] }));
    expect([isUserError(none), none.message]).toEqual([true, expect.stringMatching(/^import: files: /)]);
  });
});

describe("import.batch", () => {
  it("imports rows sent as data and gives the rejects back as values", async () => {
    const r = await runOperation(store, importBatchOperation, {
      kind: "events",
      source: "tracker",
      rows: [
        { user_id: "u1", event: "Signed Up", timestamp: "2024-01-01T00:00:00Z", properties: { plan: "pro" } },
        { user_id: "u2", event: "Signed Up", timestamp: "soon" },
      ],
    });
    expect(r).toMatchObject({ file: "tracker", read: 2, accepted: 1, rejected: 1, rejectsFile: null });
    expect(r.rejects).toEqual([
      {
        row: 2,
        field: "timestamp",
        reason: "not an ISO 8601 timestamp: soon",
        values: { user_id: "u2", event: "Signed Up", timestamp: "soon", properties: null },
      },
    ]);
    const plan = await store.read((s) =>
      s.query(sql`SELECT ${s.dialect.jsonText(sql`properties`, "plan")} AS plan FROM events`),
    );
    expect(plan.column("plan")).toEqual(["pro"]);
  });

  it("names the field of a bad input", async () => {
    const e = await failure(
      runOperation(store, importBatchOperation, { kind: "events", source: "t", rows: [1 as never] }),
    );
    expect(e.message).toMatch(/^import\.batch: rows\.0: /);
  });
});
