import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { isUserError } from "../errors.js";
import { importRows } from "../ingest/import-rows.js";
import { runOperation } from "../operations/operation.js";
import {
  privacyApplyRetentionOperation,
  privacyRetentionOperation,
  privacyRetentionSetOperation,
} from "../operations/privacy-retention-operations.js";
import { segmentAddOperation, segmentRefreshOperation } from "../operations/segment-operations.js";
import { openStore } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Store } from "../store/store.js";
import { parseRetentionKind, parseRetentionPeriod } from "./retention.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const ADMIN = { who: "cli:dpo", role: "admin" } as const;
const noop = () => {};

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

describe("retention settings", () => {
  it("names the kinds that expire and reads durations or forever; refuses anything else", () => {
    expect(parseRetentionKind("events")).toBe("events");
    expect(parseRetentionPeriod("400d")).toBe("400d");
    expect(parseRetentionPeriod(" Forever ")).toBe(null);
    for (const bad of ["customers", "audit-log", "identities", ""]) {
      const e = (() => {
        try {
          parseRetentionKind(bad);
        } catch (x) {
          return x;
        }
        return null;
      })();
      expect(isUserError(e) && e.where, bad).toBe("kind");
    }
    for (const bad of ["10x", "-3d", "0d", "400", "1001y"]) {
      const e = (() => {
        try {
          parseRetentionPeriod(bad);
        } catch (x) {
          return x;
        }
        return null;
      })();
      expect(isUserError(e) && e.where, bad).toBe("period");
    }
  });
});

for (const engine of TEST_ENGINES) {
  describe(`retention on ${engine.name}`, () => {
    it("removes expired rows of each kind, keeps the latest consent, records settings, recomputes memberships", async () => {
      store = await openStore(engine.location());
      const s = store;
      await s.write(async (e) => {
        await importRows(e, {
          kind: "events",
          allowAnyDate: true,
          rows: [
            // Ann: old events only; Bob: one old, one recent.
            { timestamp: "2024-01-10T00:00:00Z", event: "Viewed", user_id: "ann" },
            { timestamp: "2024-06-10T00:00:00Z", event: "Viewed", user_id: "ann" },
            { timestamp: "2024-02-10T00:00:00Z", event: "Viewed", user_id: "bob" },
            { timestamp: "2025-12-01T00:00:00Z", event: "Viewed", user_id: "bob" },
          ],
          source: "events",
        });
        await importRows(e, {
          kind: "order-lines",
          allowAnyDate: true,
          rows: [
            {
              order_id: "o-old",
              timestamp: "2024-03-01T00:00:00Z",
              quantity: "1",
              unit_price: "5",
              customer_id: "ann",
            },
            {
              order_id: "o-old",
              timestamp: "2024-03-01T00:00:00Z",
              quantity: "2",
              unit_price: "1",
              customer_id: "ann",
            },
            {
              order_id: "o-new",
              timestamp: "2025-11-01T00:00:00Z",
              quantity: "1",
              unit_price: "9",
              customer_id: "bob",
            },
          ],
          source: "lines",
        });
        await importRows(e, {
          kind: "consents",
          allowAnyDate: true,
          rows: [
            // Ann: granted, then withdrawn (both old): the withdrawal is her latest and stays.
            {
              customer_id: "ann",
              purpose: "marketing",
              status: "granted",
              timestamp: "2024-01-01T00:00:00Z",
              channel: "email",
            },
            {
              customer_id: "ann",
              purpose: "marketing",
              status: "withdrawn",
              timestamp: "2024-05-01T00:00:00Z",
              channel: "email",
            },
            // Bob: one old grant, his latest: stays.
            {
              customer_id: "bob",
              purpose: "marketing",
              status: "granted",
              timestamp: "2024-01-01T00:00:00Z",
            },
          ],
          source: "consents",
        });
        await importRows(e, {
          kind: "survey-responses",
          allowAnyDate: true,
          rows: [
            { customer_id: "ann", question: "nps", answer: "3", timestamp: "2024-01-01T00:00:00Z" },
            { customer_id: "bob", question: "nps", answer: "9", timestamp: "2025-12-20T00:00:00Z" },
          ],
          source: "answers",
        });
      });
      // Everyone who did anything in ten years: both, as of the end of 2025.
      await runOperation(s, segmentAddOperation, {
        definition: { id: "active", name: "Active", where: { event: "*", within: "3650d" } },
      });
      await runOperation(s, segmentRefreshOperation, { asOf: "2025-12-31T00:00:00Z" });

      // Nothing set: nothing expires.
      const none = await runOperation(s, privacyApplyRetentionOperation, { now: NOW }, noop, ADMIN);
      expect(none).toEqual({ now: NOW.toISOString(), kinds: [], rowsRemoved: 0, refreshedAsOf: null });

      for (const [kind, period] of [
        ["events", "400d"],
        ["orders", "1y"],
        ["consents", "30d"],
        ["survey-responses", "18m"],
      ] as const)
        await runOperation(s, privacyRetentionSetOperation, { kind, period }, noop, ADMIN);
      const listed = await runOperation(s, privacyRetentionOperation, {});
      expect(listed.periods.map((p) => [p.kind, p.period, p.updatedBy])).toEqual([
        ["events", "400d", "cli:dpo"],
        ["orders", "1y", "cli:dpo"],
        ["survey-responses", "18m", "cli:dpo"],
        ["consents", "30d", "cli:dpo"],
      ]);

      const r = await runOperation(s, privacyApplyRetentionOperation, { now: NOW }, noop, ADMIN);
      // Cut-offs: 400 days before 2026-01-01 is 2024-11-27; a year, 2025-01-01; 18 months, 2024-07-01; 30 days, 2025-12-02.
      expect(r.kinds.map((k) => [k.kind, k.cutoff.slice(0, 10), k.removed, k.people])).toEqual([
        ["events", "2024-11-27", { events: 3 }, 2],
        ["orders", "2025-01-01", { order_items: 2, orders: 1 }, 1],
        ["survey-responses", "2024-07-01", { survey_responses: 1 }, 1],
        ["consents", "2025-12-02", { consents: 1 }, 1],
      ]);
      expect(r.rowsRemoved).toBe(3 + 3 + 1 + 1);
      expect(r.refreshedAsOf).toBe("2025-12-31T00:00:00.000Z");

      await s.read(async (e) => {
        const left = async (q: ReturnType<typeof sql>) => (await e.query(q)).rows();
        expect(await left(sql`SELECT customer_id, status FROM consents ORDER BY customer_id`)).toEqual([
          { customer_id: "ann", status: "withdrawn" },
          { customer_id: "bob", status: "granted" },
        ]);
        expect(await left(sql`SELECT order_id FROM order_items`)).toEqual([{ order_id: "o-new" }]);
        // Ann has no events left: she left the segment at the refresh that followed; Bob stays.
        expect(
          await left(
            sql`SELECT customer_id FROM segment_membership WHERE segment_id = 'active' AND exited_at IS NULL`,
          ),
        ).toEqual([{ customer_id: "bob" }]);
        // Each setting change is in the audit log, by who made it.
        const audit = await e.query("SELECT * FROM audit_log");
        const changes = audit.rows().filter((row) => JSON.stringify(row).includes("privacy.retention.set"));
        expect(changes.length).toBe(4);
        expect(changes.every((row) => JSON.stringify(row).includes("cli:dpo"))).toBe(true);
      });
      // A second run finds nothing more.
      const again = await runOperation(s, privacyApplyRetentionOperation, { now: NOW }, noop, ADMIN);
      expect(again.rowsRemoved).toBe(0);
    });
  });
}
