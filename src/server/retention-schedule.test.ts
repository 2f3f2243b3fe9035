import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { importRows } from "../ingest/import-rows.js";
import { runOperation } from "../operations/operation.js";
import { privacyRetentionSetOperation } from "../operations/privacy-retention-operations.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { RetentionSchedule } from "./retention-schedule.js";

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

const until = async (done: () => boolean) => {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
};

const eventCount = async (s: Store) =>
  s.read(async (e) => Number((await e.query("SELECT count(*) AS n FROM events")).column("n")[0]));

describe("the server's retention schedule", () => {
  it("applies retention at start and then every interval; with no period set it writes nothing", async () => {
    store = await openStore(TEST_ENGINES[0]?.location() as string);
    const s = store;
    await s.write((e) =>
      importRows(e, {
        kind: "events",
        allowAnyDate: true,
        rows: [
          { timestamp: "2020-01-01T00:00:00Z", event: "Old", user_id: "ann" },
          { timestamp: new Date().toISOString(), event: "New", user_id: "ann" },
        ],
        source: "events",
      }),
    );
    const errors: unknown[] = [];
    const idle = new RetentionSchedule(s, { firstMs: 5, everyMs: 20, onError: (e) => errors.push(e) });
    await new Promise((r) => setTimeout(r, 120));
    await idle.close();
    // Nothing set: the ticks read the periods and stop there.
    expect(idle.runs).toBe(0);
    expect(await eventCount(s)).toBe(2);

    await runOperation(s, privacyRetentionSetOperation, { kind: "events", period: "400d" }, () => {}, {
      who: "cli:dpo",
      role: "admin",
    });
    const schedule = new RetentionSchedule(s, { firstMs: 5, everyMs: 20, onError: (e) => errors.push(e) });
    await until(() => schedule.runs >= 3);
    await schedule.close();
    expect(schedule.runs).toBeGreaterThanOrEqual(3);
    expect(errors).toEqual([]);
    expect(await eventCount(s)).toBe(1);
    // Closed: no more runs.
    const runs = schedule.runs;
    await new Promise((r) => setTimeout(r, 60));
    expect(schedule.runs).toBe(runs);
  });
});
