import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUserError } from "../src/errors.js";
import { importFile } from "../src/ingest/import.js";
import {
  kpisOperation,
  openForServing,
  paretoOperation,
  privacySettingsOperation,
  privacySettingsSetOperation,
  rfmOperation,
  runOperation,
  segmentAddOperation,
  segmentHistoryOperation,
  segmentListOperation,
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentOverlapOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentShowOperation,
  statsOperation,
} from "../src/operations/index.js";
import { buildServer } from "../src/server/app.js";
import { Authenticator } from "../src/server/authenticator.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { recovers, sumRelation } from "./differencing-attack.js";
import { TEST_ENGINES } from "./engines.js";
import { apiKey, runCli, tempDir, writeFile } from "./helpers.js";

/**
 * Issue 17, item 2: every report passes the k-gate, attacked by differencing. 35 customers: 20 in DE, 12 in FR,
 * 3 in LU (the small group). Every customer bought once (in January), but the LU ones: one bought, two did not.
 * Segments de, fr, lu (one country each) and notlu (everyone but LU): their author knows that de + fr + lu is
 * everyone and notlu = de + fr — the relations the attacker uses.
 */
const COUNTRIES = [...Array(20).fill("DE"), ...Array(12).fill("FR"), ...Array(3).fill("LU")] as string[];
const ID = (i: number) => `c${String(i + 1).padStart(3, "0")}`;
const AS_OF = "2024-03-31T00:00:00.000Z";

async function refused(work: Promise<unknown>, ...parts: string[]): Promise<void> {
  const e = await work.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isUserError(e), String(e)).toBe(true);
  for (const p of parts) expect((e as Error).message).toContain(p);
}

describe.each(TEST_ENGINES)("the k-gate on $name", ({ location }) => {
  let store: Store;
  const where = location();
  beforeAll(async () => {
    store = await openStore(where);
    const dir = tempDir();
    const customers = writeFile(
      dir,
      "customers.csv",
      `customer_id,country\n${COUNTRIES.map((c, i) => `${ID(i)},${c}`).join("\n")}\n`,
    );
    const buyers = COUNTRIES.map((c, i) => ({ c, i })).filter(({ c, i }) => c !== "LU" || i === 32);
    const orders = writeFile(
      dir,
      "orders.csv",
      `order_id,customer_id,timestamp,total\n${buyers
        .map(({ i }) => `o${i},${ID(i)},2024-01-${String((i % 28) + 1).padStart(2, "0")}T10:00:00Z,${10 + i}`)
        .join("\n")}\n`,
    );
    await store.write((s) => importFile(s, { kind: "customers", path: customers }));
    await store.write((s) => importFile(s, { kind: "orders", path: orders }));
    const country = (id: string, c: string) => ({ id, name: id, where: { trait: "country", eq: c } });
    for (const def of [
      country("de", "DE"),
      country("fr", "FR"),
      country("lu", "LU"),
      { id: "notlu", name: "not LU", where: { not: { trait: "country", eq: "LU" } } },
    ])
      await runOperation(store, segmentAddOperation, { definition: def });
    await runOperation(store, segmentRefreshOperation, { asOf: AS_OF });
  });
  afterAll(() => store?.close());

  it("reads the settings: k is 10 by default, with a floor of 5", async () => {
    const s = await runOperation(store, privacySettingsOperation, {});
    expect(s.minGroupFloor).toBe(5);
    expect(s.settings.find((x) => x.name === "min_group")).toMatchObject({
      value: 10,
      default: 10,
      updatedAt: null,
    });
    expect(s.settings.find((x) => x.name === "dp")).toMatchObject({ value: false });
  });

  it("segment list and show: the small group and what would give it away are suppressed; the rest is exact", async () => {
    const list = await runOperation(store, segmentListOperation, {});
    const size = (id: string) => list.segments.find((s) => s.id === id)?.size;
    expect(list.minGroup).toBe(10);
    expect(size("de")).toBe(20);
    expect(size("lu")).toBeNull();
    expect(list.segments.find((s) => s.id === "lu")?.suppressed).toBe(true);
    // Everyone but 3: the base (tessera stats) minus it gives them away.
    expect(size("notlu")).toBeNull();
    const stats = await runOperation(store, statsOperation, {});
    expect(stats.customers).toBe(35);
    // The attacker: de + fr + lu = everyone, notlu = de + fr.
    const shown = ["de", "fr", "lu", "notlu"].map((id) => size(id) ?? null);
    const relations = [sumRelation([0, 1, 2], { known: stats.customers }), sumRelation([0, 1], 3)];
    expect(recovers(shown, relations, 2, 35)).toBe(false);
    // show says what list says.
    for (const id of ["de", "fr", "lu", "notlu"]) {
      const show = await runOperation(store, segmentShowOperation, { id });
      expect(show.size).toBe(size(id));
      expect(show.suppressed).toBe(size(id) === null);
    }
  });

  it("overlap and Jaccard: no cell or size that list hides, no sum of a row that gives one back", async () => {
    const o = await runOperation(store, segmentOverlapOperation, { ids: ["de", "fr", "lu", "notlu"] });
    const list = await runOperation(store, segmentListOperation, {});
    for (const [i, id] of o.ids.entries())
      expect(o.sizes[i]).toBe(list.segments.find((s) => s.id === id)?.size);
    // Every cell involving lu is null, Jaccard too.
    for (let j = 0; j < 4; j++) {
      expect(o.counts[2]?.[j]).toBeNull();
      expect(o.jaccard[2]?.[j]).toBeNull();
    }
    // de ∩ fr = 0, but "in neither" is lu: hidden as well.
    expect(o.counts[0]?.[1]).toBeNull();
    // The attacker's relations on the row of notlu: notlu = (notlu ∩ de) + (notlu ∩ fr); and de + fr + lu = 35.
    const cells = [o.sizes[0], o.sizes[1], o.sizes[2], o.sizes[3], o.counts[3]?.[0], o.counts[3]?.[1]].map(
      (v) => v ?? null,
    );
    const relations = [sumRelation([0, 1, 2], { known: 35 }), sumRelation([4, 5], 3), sumRelation([0, 1], 3)];
    expect(recovers(cells, relations, 2, 35)).toBe(false);
  });

  it("MECE coverage: covered + uncovered = everyone, so covered is hidden when 3 are left out", async () => {
    const m = await runOperation(store, segmentMeceOperation, { ids: ["de", "fr"] });
    expect(m.customers).toBe(35);
    expect(m.covered).toBeNull();
    expect(m.coverage).toBeNull();
    expect(m.suppressed.covered).toBe(true);
    // Exact where nothing is small: de and notlu cover everyone but LU too; de and fr and lu cover all 35.
    const all = await runOperation(store, segmentMeceOperation, { ids: ["de", "fr", "lu"] });
    expect(all.covered).toBeNull(); // their intersections hide "neither" groups of 3 (de, fr: lu is neither)
  });

  it("MECE exclusive: the small rest and one more are hidden, in the report and in segment list", async () => {
    const m = await runOperation(store, segmentMeceExclusiveOperation, { ids: ["de", "fr"], prefix: "x-" });
    const sizes = (m.exclusive ?? []).map((e) => e.size);
    expect(sizes[0]).toBe(20);
    expect(sizes[2]).toBeNull();
    expect(recovers(sizes, [sumRelation([0, 1, 2], { known: 35 })], 2, 35)).toBe(false);
    await runOperation(store, segmentRefreshOperation, { asOf: AS_OF });
    const list = await runOperation(store, segmentListOperation, {});
    const listed = ["x-de", "x-fr", "x-other"].map(
      (id) => list.segments.find((s) => s.id === id)?.size ?? null,
    );
    expect(listed[0]).toBe(20);
    expect(recovers(listed, [sumRelation([0, 1, 2], { known: 35 })], 2, 35)).toBe(false);
  });

  it("history and preview hide the small group's size; the big ones are exact", async () => {
    const h = await runOperation(store, segmentHistoryOperation, { id: "lu" });
    expect(h.history.length).toBeGreaterThan(0);
    for (const p of h.history) {
      expect(p.size).toBeNull();
      expect(p.entered === null || p.entered === 0).toBe(true);
    }
    const de = await runOperation(store, segmentHistoryOperation, { id: "de" });
    expect(de.history[0]).toMatchObject({ size: 20, entered: 20, exited: 0 });
    const p = await runOperation(store, segmentPreviewOperation, {
      definition: { id: "p", name: "p", where: { trait: "country", eq: "LU" } },
    });
    expect(p).toMatchObject({ size: null, share: null, suppressed: true, customers: 35 });
    const q = await runOperation(store, segmentPreviewOperation, {
      definition: { id: "q", name: "q", where: { trait: "country", eq: "DE" } },
    });
    expect(q).toMatchObject({ size: 20, suppressed: false });
  });

  it("KPIs by country: LU and one more group are hidden; the total minus the shown group leaves both open", async () => {
    const r = await runOperation(store, kpisOperation, {
      asOf: AS_OF,
      by: { kind: "trait", name: "country" },
    });
    const g = (name: string) => r.groups.find((x) => x.group === name);
    expect(r.base).toBe(35);
    expect(g("DE")).toMatchObject({ customers: 20, buyers: 20, orders: 20, suppressed: false });
    expect(g("DE")?.revenue).toBe(COUNTRIES.slice(0, 20).reduce((n, _, i) => n + 10 + i, 0));
    expect(g("LU")).toMatchObject({ customers: null, buyers: null, revenue: null, suppressed: true });
    const cells = ["DE", "FR", "LU"].map((c) => g(c)?.customers ?? null);
    expect(recovers(cells, [sumRelation([0, 1, 2], { known: 35 })], 2, 35)).toBe(false);
    // Buyers: 33 of 35, so the 2 who did not buy are a small group: the overall report hides its buyers.
    const all = await runOperation(store, kpisOperation, { asOf: AS_OF });
    expect(all.groups[0]).toMatchObject({ customers: 35, buyers: null, revenue: null });
    // By segment, a group is a segment's size: hidden wherever segment list hides it, complements included.
    const bySegment = await runOperation(store, kpisOperation, { asOf: AS_OF, by: { kind: "segment" } });
    const list = await runOperation(store, segmentListOperation, {});
    for (const seg of list.segments) {
      const group = bySegment.groups.find((x) => x.group === seg.name);
      if (seg.suppressed) expect(group?.customers ?? null, seg.id).toBeNull();
      else if (group) expect(group.customers, seg.id).toBe(seg.size);
    }
    // By country, even an attacker who knows the 33 buyers cannot get LU's 1 back.
    const buyers = ["DE", "FR", "LU"].map((c) => g(c)?.buyers ?? null);
    expect(recovers(buyers, [sumRelation([0, 1, 2], { known: 33 })], 2, 33)).toBe(false);
  });

  it("Pareto by country and RFM: no group under k, nothing a total gives back", async () => {
    const p = await runOperation(store, paretoOperation, {
      asOf: AS_OF,
      by: { kind: "trait", name: "country" },
    });
    expect(p.customers).toBe(33);
    const lu = p.groups.find((x) => x.group === "LU");
    expect(lu?.customers).toBeNull();
    const cells = ["DE", "FR", "LU"].map((c) => p.groups.find((x) => x.group === c)?.customers ?? null);
    expect(recovers(cells, [sumRelation([0, 1, 2], { known: 33 })], 2, 33)).toBe(false);
    // Lorenz points within 10 customers of each other are hidden: of 33, 10 steps of 3 or 4 customers.
    const shownPoints = (p.lorenz ?? [])
      .filter((x) => x.revenueShare !== null)
      .map((x) => Math.floor(x.customerShare * 33 + 1e-9));
    for (let i = 1; i < shownPoints.length; i++)
      expect((shownPoints[i] as number) - (shownPoints[i - 1] as number)).toBeGreaterThanOrEqual(10);
    const rfm = await runOperation(store, rfmOperation, { asOf: AS_OF });
    for (const c of rfm.grid)
      if (c.customers !== null) expect(c.customers === 0 || c.customers >= 10).toBe(true);
    const segs = rfm.segments.map((s) => s.customers);
    for (const n of segs) if (n !== null) expect(n === 0 || n >= 10).toBe(true);
    const hidden = segs.map((n, i) => (n === null ? i : -1)).filter((i) => i >= 0);
    for (const t of hidden)
      expect(
        recovers(
          segs,
          [
            sumRelation(
              segs.map((_, i) => i),
              { known: 33 },
            ),
          ],
          t,
          33,
        ),
      ).toBe(false);
  });

  it("--min-group raises k for one report, never lowers it; min_group below 5 is refused with the reason", async () => {
    const raised = await runOperation(store, kpisOperation, {
      asOf: AS_OF,
      by: { kind: "trait", name: "country" },
      minGroup: 25,
    });
    expect(raised.groups.find((g) => g.group === "DE")?.customers).toBeNull();
    await refused(
      runOperation(store, kpisOperation, { asOf: AS_OF, minGroup: 6 }),
      "below this database's smallest group (min_group 10)",
    );
    await refused(runOperation(store, kpisOperation, { asOf: AS_OF, minGroup: 1 }), "minGroup");
    await refused(
      runOperation(store, privacySettingsSetOperation, { name: "min_group", value: "4" }),
      "below the floor of 5",
    );
    expect((await runOperation(store, privacySettingsOperation, {})).settings[0]?.value).toBe(10);
  });

  it("a change of min_group is recorded and reaches cached answers at once", async () => {
    const before = await runOperation(store, segmentListOperation, {});
    expect(before.segments.find((s) => s.id === "de")?.size).toBe(20);
    const set = await runOperation(store, privacySettingsSetOperation, { name: "min_group", value: "21" });
    expect(set).toMatchObject({ name: "min_group", value: 21, previous: 10 });
    const after = await runOperation(store, segmentListOperation, {});
    expect(after.minGroup).toBe(21);
    expect(after.segments.find((s) => s.id === "de")?.size).toBeNull();
    const log = await store.read((s) => s.query("SELECT what FROM audit_log"));
    expect(
      (log.column("what") as string[]).some(
        (w) => w.includes("privacy.settings.set") && w.includes("min_group"),
      ),
    ).toBe(true);
    await runOperation(store, privacySettingsSetOperation, { name: "min_group", value: 10 });
  });

  it("the command line prints <10 for a suppressed figure and refuses min_group 3", async () => {
    await store.close();
    try {
      const list = await runCli("segment", "list", "--db", where);
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toMatch(/^lu\s+lu\s+1\s+<10$/m);
      expect(list.stdout).toMatch(/^de\s+de\s+1\s+20$/m);
      const set = await runCli("privacy", "settings", "set", "min_group", "3", "--db", where);
      expect(set.code).toBe(1);
      expect(set.stderr).toContain("below the floor of 5");
      const show = await runCli("privacy", "settings", "--db", where, "--json");
      expect(JSON.parse(show.stdout).settings[0]).toMatchObject({ name: "min_group", value: 10 });
      const kpis = await runCli(
        "kpis",
        "--by",
        "trait:country",
        "--as-of",
        AS_OF,
        "--min-group",
        "4",
        "--db",
        where,
      );
      expect(kpis.code).toBe(1);
      expect(kpis.stderr).toContain("--min-group: expected a whole number ≥ 5");
    } finally {
      store = await openStore(where);
    }
  });
});

describe("the k-gate through the API", () => {
  it("returns the gate's JSON; an analyst reads the settings, only an admin changes them, and min_group 4 is a 400", async () => {
    const db = `${tempDir()}/api.duckdb`;
    const dir = tempDir();
    const customers = writeFile(
      dir,
      "customers.csv",
      `customer_id,country\n${COUNTRIES.map((c, i) => `${ID(i)},${c}`).join("\n")}\n`,
    );
    expect((await runCli("import", "customers", customers, "--db", db)).code).toBe(0);
    const admin = (await apiKey(db, "admin")).key;
    const analyst = (await apiKey(db, "analyst")).key;
    const store = await openForServing(db);
    const app = buildServer(store, { keys: new Authenticator(store, 0), log: () => {} });
    const call = async (method: string, url: string, key: string, payload?: unknown) => {
      const r = await app.inject({
        method: method as "GET",
        url,
        ...(payload === undefined ? {} : { payload: payload as string }),
        headers: { authorization: `Bearer ${key}` },
      });
      return { status: r.statusCode, body: r.json() as Record<string, unknown> };
    };
    try {
      const lu = { id: "lu", name: "lu", where: { trait: "country", eq: "LU" } };
      expect((await call("POST", "/api/segments", admin, { definition: lu })).status).toBe(200);
      expect((await call("POST", "/api/segments/refresh", admin, {})).status).toBe(200);
      const list = await call("GET", "/api/segments", analyst);
      expect(list.body).toMatchObject({
        segments: [{ id: "lu", size: null, suppressed: true }],
        minGroup: 10,
      });
      const settings = await call("GET", "/api/privacy/settings", analyst);
      expect(settings.status).toBe(200);
      expect((await call("PATCH", "/api/privacy/settings/min_group", analyst, { value: 12 })).status).toBe(
        403,
      );
      const low = await call("PATCH", "/api/privacy/settings/min_group", admin, { value: 4 });
      expect(low.status).toBe(400);
      expect(JSON.stringify(low.body)).toContain("below the floor of 5");
      const set = await call("PATCH", "/api/privacy/settings/min_group", admin, { value: 12 });
      expect([set.status, set.body]).toEqual([200, { name: "min_group", value: 12, previous: 10 }]);
      // The cached list is read again with the new k.
      expect((await call("GET", "/api/segments", analyst)).body).toMatchObject({ minGroup: 12 });
    } finally {
      await app.close();
      await store.close();
    }
  });
});
