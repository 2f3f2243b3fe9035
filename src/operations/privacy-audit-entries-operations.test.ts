/** `privacy.audit-log.entries`: pages of the audit log, newest first, filtered by action, on every engine. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { runOperation } from "./operation.js";
import { privacyAuditEntriesOperation } from "./privacy-audit-entries-operations.js";

/** Entries 1 to 7, in this order: their actions. */
const ACTIONS = [
  "keys.create",
  "privacy.export",
  "privacy.erase",
  "segment.members",
  "privacy.export",
  "privacy.erase",
  "privacy.export",
];

describe.each(TEST_ENGINES)("privacy.audit-log.entries on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    await store.write(async (s) => {
      for (const [i, action] of ACTIONS.entries())
        await recordSensitiveAction(s, { who: `key k${i + 1}`, action, people: i });
    });
  });
  afterAll(() => store?.close());

  it("gives a page of the whole log, newest first, with its length and the actions it holds", async () => {
    const page = await runOperation(store, privacyAuditEntriesOperation, { offset: 2, limit: 3 });
    expect(page.entries.map((e) => [e.seq, e.action, e.who, e.people])).toEqual([
      [5, "privacy.export", "key k5", 4],
      [4, "segment.members", "key k4", 3],
      [3, "privacy.erase", "key k3", 2],
    ]);
    expect(page.total).toBe(7);
    expect(page.actions).toEqual([
      { action: "keys.create", entries: 1 },
      { action: "privacy.erase", entries: 2 },
      { action: "privacy.export", entries: 3 },
      { action: "segment.members", entries: 1 },
    ]);
  });

  it("filters by action, pages within the filter, and ends with an empty page", async () => {
    const input = { actions: ["privacy.erase", "privacy.export"], limit: 2 };
    const first = await runOperation(store, privacyAuditEntriesOperation, input);
    expect(first.entries.map((e) => e.seq)).toEqual([7, 6]);
    expect(first.total).toBe(5);
    const third = await runOperation(store, privacyAuditEntriesOperation, { ...input, offset: 4 });
    expect(third.entries.map((e) => e.seq)).toEqual([2]);
    const past = await runOperation(store, privacyAuditEntriesOperation, { ...input, offset: 5 });
    expect(past.entries).toEqual([]);
    expect(past.total).toBe(5);
    const none = await runOperation(store, privacyAuditEntriesOperation, { actions: ["no.such"] });
    expect(none).toMatchObject({ entries: [], total: 0 });
  });
});
