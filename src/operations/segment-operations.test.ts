import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { tempDir, writeFile } from "../../test/helpers.js";
import { isUserError } from "../errors.js";
import { importFile } from "../ingest/import.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import {
  segmentAddOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentHistoryOperation,
  segmentListOperation,
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentMembersOperation,
  segmentOverlapOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentRemoveOperation,
  segmentShowOperation,
} from "./index.js";
import { importBatchOperation } from "./ingest-operations.js";
import { runOperation } from "./operation.js";
import { rfmOperation } from "./value-operations.js";

/** Expects `work` to fail with a user error whose message contains every one of `parts`. */
async function expectUserError(work: Promise<unknown>, ...parts: string[]): Promise<void> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), String(e)).toBe(true);
  for (const p of parts) expect((e as Error).message).toContain(p);
}

const AS_OF = "2024-03-31T00:00:00.000Z";
/** The use members are listed for. */
const MARKETING = { purpose: "marketing", channel: "email" };

/**
 * Every report passes the k-gate (no group of 1 to 9 people leaves: src/privacy/k-gate.ts), so each customer
 * below stands for ten alike: c1 is c1-0 … c1-9, each with the same traits, orders and consents. Every count is
 * ten times the one worked out for one customer; shares and Jaccard indices are the same.
 */
const COPIES = 10;
const copies = (id: string) => Array.from({ length: COPIES }, (_, i) => `${id}-${i}`);
/** Lines of a CSV for one customer, repeated for each copy (`{id}` is the copy's id, `{n}` its number). */
const eachCopy = (lines: string) =>
  lines
    .trim()
    .split("\n")
    .flatMap((line) => {
      const id = /^(o\d+,)?(c\d)/.exec(line)?.[2] as string;
      return copies(id).map((c, n) => line.replace(id, c).replace(/^o(\d+),/, `o$1-${n},`));
    })
    .join("\n");

/**
 * Five customers, four orders:
 *   c1 DE 30: orders Jan 10 and Mar 1 2024   c2 FR 45: an order Jun 1 2023   c3 NL 22: an order Mar 20 2024
 *   c4 DE 61: none                           c5 (no country) 38: none
 * As of Mar 31 2024, eu (DE, FR) = {c1, c2, c4}, buyers (an order in 90 days) = {c1, c3}, recent (30 days; Mar 1
 * 10:00 is after Mar 1 00:00) = {c1, c3}.
 */
describe.each(TEST_ENGINES)("segment operations on $name", ({ location }) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(location());
    const dir = tempDir();
    const customers = writeFile(
      dir,
      "customers.csv",
      `customer_id,country,age\n${eachCopy("c1,DE,30\nc2,FR,45\nc3,NL,22\nc4,DE,61\nc5,,38")}\n`,
    );
    const orders = writeFile(
      dir,
      "orders.csv",
      `order_id,customer_id,timestamp,total\n${eachCopy(
        "o1,c1,2024-01-10T10:00:00Z,120\no2,c1,2024-03-01T10:00:00Z,80\no3,c2,2023-06-01T10:00:00Z,40\no4,c3,2024-03-20T10:00:00Z,15",
      )}\n`,
    );
    await store.write((s) => importFile(s, { kind: "customers", path: customers }));
    await store.write((s) => importFile(s, { kind: "orders", path: orders }));
    // Members are listed for a use: c1 consented to marketing by email, c3 to marketing on any channel.
    const consents = writeFile(
      dir,
      "consents.csv",
      `customer_id,purpose,channel,status,timestamp\n${eachCopy("c1,marketing,email,granted,2024-01-01\nc3,marketing,,granted,2024-01-01")}\n`,
    );
    await store.write((s) => importFile(s, { kind: "consents", path: consents }));
  });
  afterAll(() => store?.close());

  it("adds definitions as JSON or text; a segment saved since the last refresh has no size yet", async () => {
    const eu = { id: "eu", name: "EU core", where: { trait: "country", in: ["DE", "FR"] } };
    expect(await runOperation(store, segmentAddOperation, { definition: eu })).toEqual({
      id: "eu",
      version: 1,
      changed: true,
      warnings: [],
    });
    expect(await runOperation(store, segmentAddOperation, { definition: eu })).toMatchObject({
      changed: false,
      warnings: [],
    });
    const buyers = "id: buyers\nname: Buyers\nwhere: orders.count(90d) >= 1\n";
    expect(await runOperation(store, segmentAddOperation, { definition: buyers })).toMatchObject({
      id: "buyers",
      version: 1,
    });
    const list = await runOperation(store, segmentListOperation, {});
    expect(list.segments.map((s) => [s.id, s.latestVersion, s.size])).toEqual([
      ["buyers", 1, null],
      ["eu", 1, null],
    ]);
    const shown = await runOperation(store, segmentShowOperation, { id: "buyers" });
    expect(shown.versions.map((v) => v.definition.where)).toEqual([
      { orders: "count", within: "90d", gte: 1 },
    ]);
  });

  it("refreshes, then warns with the thresholds given", async () => {
    // 50 customers; buyers is 20 (40% < 50%); eu ∩ buyers = the c1s of c1…c4: Jaccard 10 / 40 = 0.25.
    const r = await runOperation(store, segmentRefreshOperation, {
      asOf: AS_OF,
      minSize: 1,
      minShare: 0.5,
      maxJaccard: 0.25,
    });
    expect(r).toMatchObject({ asOf: AS_OF, stored: true, mode: "full", recomputed: 50, minGroup: 10 });
    expect(r.segments.map((s) => [s.id, s.size, s.entered, s.exited, s.suppressed])).toEqual([
      ["buyers", 20, 20, 0, false],
      ["eu", 30, 30, 0, false],
    ]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      "buyers has 20 customers (40.00% of 50): under 1 people or 50% of customers",
      "buyers and eu are near-copies (Jaccard 0.250 ≥ 0.25)",
    ]);
    expect(r.warnings.map((w) => [w.kind, "segments" in w ? w.segments : null])).toEqual([
      ["too-small", ["buyers"]],
      ["near-copy", ["buyers", "eu"]],
    ]);
    // A backtest records nothing, so there is nothing to warn about.
    const back = await runOperation(store, segmentRefreshOperation, { asOf: "2024-01-01" });
    expect([back.stored, back.warnings]).toEqual([false, []]);
    expect((await runOperation(store, segmentListOperation, {})).segments.map((s) => [s.id, s.size])).toEqual(
      [
        ["buyers", 20],
        ["eu", 30],
      ],
    );
    expect(await runOperation(store, segmentMembersOperation, { id: "buyers", ...MARKETING })).toEqual({
      id: "buyers",
      purpose: "marketing",
      channel: "email",
      customers: [...copies("c1"), ...copies("c3")],
      leftOut: { noConsent: 0, suppressionList: 0, suppressed: false },
    });
    expect(
      (await runOperation(store, segmentMembersOperation, { id: "buyers", limit: 1, ...MARKETING }))
        .customers,
    ).toEqual(["c1-0"]);
    // One segment's size, with when it was evaluated: the same count as the members.
    expect(await runOperation(store, segmentShowOperation, { id: "buyers" })).toMatchObject({
      size: 20,
      suppressed: false,
      evaluated: { asOf: AS_OF },
    });
    expect(
      await runOperation(store, segmentHistoryOperation, { id: "buyers", withIds: 5, ...MARKETING }),
    ).toEqual({
      id: "buyers",
      history: [
        {
          asOf: AS_OF,
          size: 20,
          entered: 20,
          exited: 0,
          enteredIds: copies("c1").slice(0, 5),
          exitedIds: [],
          suppressed: { size: false, entered: false, exited: false },
        },
      ],
      minGroup: 10,
    });
  });

  it("evaluates what-ifs as of the last refresh unless told otherwise", async () => {
    const recent = { id: "recent", name: "recent", where: { orders: "count", within: "30d", gte: 1 } };
    // As of now (years after the orders) nobody bought in 30 days: 20 shows the default is the refresh's time.
    expect(await runOperation(store, segmentPreviewOperation, { definition: recent })).toEqual({
      id: "recent",
      size: 20,
      customers: 50,
      share: 0.4,
      sample: copies("c1"),
      warnings: [],
      suppressed: false,
      minGroup: 10,
    });
    const later = await runOperation(store, segmentPreviewOperation, {
      definition: recent,
      asOf: "2024-06-30",
    });
    expect(later.size).toBe(0);
    const d = await runOperation(store, segmentDiffOperation, {
      definition: { id: "eu", name: "EU", where: { trait: "country", in: ["DE", "NL"] } },
    });
    expect(d).toEqual({
      id: "eu",
      currentSize: 30,
      newSize: 30,
      entering: 10,
      leaving: 10,
      enteringSample: copies("c3"),
      leavingSample: copies("c2"),
      warnings: [],
      suppressed: { currentSize: false, newSize: false, entering: false, leaving: false },
      minGroup: 10,
    });
    const x = await runOperation(store, segmentExplainOperation, { id: "buyers" });
    expect([x.size, x.customers, x.steps.map((s) => s.passing)]).toEqual([20, 50, [20]]);
  });

  it("reports overlap and coverage, and saves exclusive segments in priority order", async () => {
    const o = await runOperation(store, segmentOverlapOperation, { ids: ["eu", "buyers"] });
    expect(o.counts).toEqual([
      [30, 10],
      [10, 20],
    ]);
    expect(await runOperation(store, segmentMeceOperation, {})).toEqual({
      ids: ["buyers", "eu"],
      notEvaluated: [],
      customers: 50,
      covered: 40,
      coverage: 0.8,
      overlapping: 10,
      suppressed: { covered: false, overlapping: false },
      minGroup: 10,
    });
    // eu first: all of eu (30); buyers but not eu: the c3s; neither: the c5s.
    const m = await runOperation(store, segmentMeceExclusiveOperation, { ids: ["eu", "buyers"] });
    expect(m.exclusive).toEqual([
      { id: "mece-eu", from: "eu", size: 30, suppressed: false },
      { id: "mece-buyers", from: "buyers", size: 10, suppressed: false },
      { id: "mece-other", from: "(rest)", size: 10, suppressed: false },
    ]);
    // mece with no ids leaves the exclusive segments out (they re-divide the others); overlap names them as saved
    // since the last refresh, not evaluated yet.
    expect((await runOperation(store, segmentMeceOperation, {})).ids).toEqual(["buyers", "eu"]);
    expect(await runOperation(store, segmentOverlapOperation, {})).toMatchObject({
      ids: ["buyers", "eu"],
      notEvaluated: ["mece-buyers", "mece-eu", "mece-other"],
    });
    await expectUserError(
      runOperation(store, segmentMeceExclusiveOperation, {}),
      "mece --exclusive: name the segments in priority order",
    );
  });

  it("a live refresh re-scores the values only at the first refresh of a day, and gives no warnings", async () => {
    const rfm = await runOperation(store, rfmOperation, { asOf: AS_OF });
    expect(rfm.customers).toBe(30);
    await runOperation(store, importBatchOperation, {
      kind: "orders",
      source: "test",
      rows: copies("c4").map((c, n) => ({
        order_id: `o5-${n}`,
        customer_id: c,
        timestamp: "2024-03-31T05:00:00Z",
        total: 10,
      })),
    });
    // The last stored refresh is of Mar 31: the same day, so the values are kept (c4's order is not scored yet).
    const kept = await runOperation(store, segmentRefreshOperation, {
      asOf: "2024-03-31T06:00:00Z",
      live: true,
      minSize: 1000,
    });
    expect([kept.stored, kept.values, kept.warnings]).toEqual([
      true,
      { rfm: null, clv: null, clusterings: 0, rescored: false },
      [],
    ]);
    // A new day: the first live refresh re-scores, c4 included.
    const next = await runOperation(store, segmentRefreshOperation, {
      asOf: "2024-04-01T01:00:00Z",
      live: true,
    });
    expect(next.values).toMatchObject({ rfm: 40, rescored: true });
    // A live refresh asked for an earlier time (an event still to load is older) stays at the last one's time.
    const back = await runOperation(store, segmentRefreshOperation, {
      asOf: "2024-03-31T23:00:00Z",
      live: true,
    });
    expect([back.asOf, back.stored]).toEqual(["2024-04-01T01:00:00.000Z", true]);
    // A refresh that is not live always re-scores, and warns as asked.
    const plain = await runOperation(store, segmentRefreshOperation, {
      asOf: "2024-04-01T02:00:00Z",
      minSize: 1000,
    });
    expect(plain.values).toMatchObject({ rfm: 40, rescored: true });
    expect(plain.warnings.map((w) => w.kind)).toContain("too-small");
  });

  it("removes a segment nothing uses, and refuses one in use", async () => {
    await runOperation(store, segmentAddOperation, {
      definition: { id: "tmp", name: "tmp", where: { trait: "age", gt: 40 } },
    });
    expect(await runOperation(store, segmentRemoveOperation, { id: "tmp" })).toEqual({
      id: "tmp",
      removed: true,
    });
    await expectUserError(runOperation(store, segmentShowOperation, { id: "tmp" }), 'no segment "tmp"');
    await expectUserError(
      runOperation(store, segmentRemoveOperation, { id: "eu" }),
      'segment "eu" is used by mece-buyers, mece-eu, mece-other:',
    );
  });

  it("refuses bad inputs, naming the operation and the field", async () => {
    await expectUserError(
      runOperation(store, segmentRefreshOperation, { minSize: -1 }),
      "segment.refresh: minSize:",
    );
    await expectUserError(
      runOperation(store, segmentRefreshOperation, { maxJaccard: 1.5 }),
      "segment.refresh: maxJaccard:",
    );
    await expectUserError(
      runOperation(store, segmentRefreshOperation, { asOf: "yesterday" }),
      'segment.refresh: asOf: not an ISO 8601 date: "yesterday"',
    );
    // @ts-expect-error: the id is missing, as a caller of the API might leave it out.
    await expectUserError(runOperation(store, segmentShowOperation, {}), "segment.show: id:");
    await expectUserError(
      runOperation(store, segmentMembersOperation, { id: "eu", limit: 0, ...MARKETING }),
      "segment.members: limit:",
    );
    await expectUserError(
      // @ts-expect-error: the definition is missing.
      runOperation(store, segmentAddOperation, {}),
      "segment.add: definition: a segment definition is required",
    );
    await expectUserError(
      runOperation(store, segmentListOperation, { everything: true } as never),
      "segment.list: everything: unknown field",
    );
    // A definition's own mistakes are found where it is checked, with the source and the place in it.
    await expectUserError(
      runOperation(store, segmentAddOperation, {
        definition: "id: x\nname: x\nwhere: age >",
        source: "x.seg",
      }),
      "x.seg: line 3, column",
      "expected a value",
    );
    await expectUserError(
      runOperation(store, segmentPreviewOperation, {
        definition: { id: "x", name: "x", where: { trait: "contry", eq: "DE" } },
        source: "x.json",
      }),
      'x.json: where.trait: unknown trait "contry"',
    );
  });
});
