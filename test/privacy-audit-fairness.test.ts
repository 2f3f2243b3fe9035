import { userInfo } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";
import { runCli, tempDir, writeFile } from "./helpers.js";

/**
 * 120 customers, 51 of them on the gold plan (the segment), built so that each trait's composition is known by hand:
 *
 * gender     people  members  rest     age     people  members  rest
 * female         40       20    20     18-24       30       10    20
 * male           50       15    35     25-34       60       30    30
 * non-binary      6        2     4     35-44       30       11    19
 * (none)         24       14    10
 */
function customersCsv(): string {
  const rows: string[] = ["customer_id,gender,age,plan,signup_day"];
  const gender = (members: [string, number][]) => members.flatMap(([g, n]) => Array<string>(n).fill(g));
  const genders = {
    gold: gender([
      ["female", 20],
      ["male", 15],
      ["non-binary", 2],
      ["", 14],
    ]),
    basic: gender([
      ["female", 20],
      ["male", 35],
      ["non-binary", 4],
      ["", 10],
    ]),
  };
  const ages = {
    gold: [...Array(10).fill(20), ...Array(30).fill(30), ...Array(11).fill(40)],
    basic: [...Array(20).fill(22), ...Array(30).fill(25), ...Array(19).fill(44)],
  };
  let id = 0;
  for (const plan of ["gold", "basic"] as const)
    genders[plan].forEach((g, i) => {
      rows.push(`c${++id},${g},${ages[plan][i]},${plan},2024-01-0${1 + (i % 9)}`);
    });
  return `${rows.join("\n")}\n`;
}

describe.each(TEST_ENGINES)(
  "privacy audit log and fairness, from the command line, on $name",
  ({ location }) => {
    let db: string;
    const me = `cli:${userInfo().username}`;
    const run = (...args: string[]) => runCli(...args, "--db", db);
    async function json(...args: string[]) {
      const r = await run(...args, "--json");
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    }
    const log = async () =>
      (await json("privacy", "audit-log", "--limit", "100")).entries as Record<string, unknown>[];

    beforeAll(async () => {
      const dir = tempDir();
      db = location();
      writeFile(dir, "customers.csv", customersCsv());
      // Consent for email marketing: the first 5 gold customers granted, the 6th withdrew.
      writeFile(
        dir,
        "consents.csv",
        `customer_id,purpose,channel,status,timestamp\n${[1, 2, 3, 4, 5, 6].map((i) => `c${i},marketing,email,granted,2024-02-01`).join("\n")}\nc6,marketing,email,withdrawn,2024-03-01\n`,
      );
      for (const kind of ["customers", "consents"]) {
        const r = await run("import", kind, join(dir, `${kind}.csv`));
        expect(r.code, r.stderr).toBe(0);
      }
      for (const args of [
        ["segment", "add", "--id", "gold", "--name", "Gold plan", "--where", 'plan = "gold"'],
        ["segment", "refresh"],
      ]) {
        const r = await run(...args);
        expect(r.code, r.stderr).toBe(0);
      }
    });

    it("says plainly when no trait is sensitive, and refuses an unknown segment", async () => {
      const none = await json("privacy", "fairness", "gold");
      expect(none).toMatchObject({ segment: "gold", base: 120, members: 51, traits: [], skipped: [] });
      expect(none.notes[0]).toMatch(/no trait is in the category sensitive/);
      const text = await run("privacy", "fairness", "gold");
      expect(text.code).toBe(0);
      expect(text.stdout).toContain("tessera traits set gender --category sensitive");
      const unknown = await run("privacy", "fairness", "goldd");
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no segment "goldd"/);
      // Saved since the last refresh: its members on record are not its own yet.
      const add = await run(
        "segment",
        "add",
        "--id",
        "later",
        "--name",
        "Later",
        "--where",
        'plan = "basic"',
      );
      expect(add.code, add.stderr).toBe(0);
      const later = await run("privacy", "fairness", "later");
      expect(later.code).toBe(1);
      expect(later.stderr).toMatch(/later: saved since the last refresh, not evaluated yet/);
    });

    it("compares each sensitive trait's composition with the base: hand-computed, small groups suppressed", async () => {
      for (const trait of ["gender", "age", "signup_day"]) {
        const r = await run("traits", "set", trait, "--category", "sensitive");
        expect(r.code, r.stderr).toBe(0);
      }
      const f = await json("privacy", "fairness", "gold");
      expect(f).toMatchObject({ segment: "gold", base: 120, members: 51, minGroup: 10, threshold: 0.8 });
      const gender = f.traits.find((t: { trait: string }) => t.trait === "gender");
      const hidden = {
        segmentShare: null,
        baseShare: null,
        selectionRate: null,
        impactRatio: null,
        flagged: null,
      };
      // Non-binary has 6 people (under 10): suppressed, and so is the next smallest group of the base and of the
      // members, (none), or each would be the total minus the others.
      expect(gender).toEqual({
        trait: "gender",
        type: "string",
        grouping: "values",
        reference: "female",
        flagged: ["male"],
        groups: [
          {
            value: "female",
            segmentShare: 20 / 51,
            baseShare: 40 / 120,
            selectionRate: 0.5,
            impactRatio: 1,
            flagged: false,
            suppressed: false,
          },
          {
            value: "male",
            segmentShare: 15 / 51,
            baseShare: 50 / 120,
            selectionRate: 0.3,
            impactRatio: 0.3 / 0.5,
            flagged: true,
            suppressed: false,
          },
          { value: "non-binary", ...hidden, suppressed: true },
          { value: null, ...hidden, suppressed: true },
        ],
      });
      const age = f.traits.find((t: { trait: string }) => t.trait === "age");
      expect(age).toMatchObject({ grouping: "age-bands", reference: "25-34", flagged: ["18-24", "35-44"] });
      expect(age.groups).toEqual([
        {
          value: "18-24",
          segmentShare: 10 / 51,
          baseShare: 0.25,
          selectionRate: 10 / 30,
          impactRatio: 10 / 30 / 0.5,
          flagged: true,
          suppressed: false,
        },
        {
          value: "25-34",
          segmentShare: 30 / 51,
          baseShare: 0.5,
          selectionRate: 0.5,
          impactRatio: 1,
          flagged: false,
          suppressed: false,
        },
        {
          value: "35-44",
          segmentShare: 11 / 51,
          baseShare: 0.25,
          selectionRate: 11 / 30,
          impactRatio: 11 / 30 / 0.5,
          flagged: true,
          suppressed: false,
        },
      ]);
      expect(f.skipped).toEqual([expect.objectContaining({ trait: "signup_day" })]);
      const text = await run("privacy", "fairness", "gold");
      expect(text.stdout).toMatch(/male\s+29\.4%\s+41\.7%\s+30\.0%\s+0\.60\s+FLAGGED/);
      expect(text.stdout).toMatch(/non-binary\s+<10\s+<10\s+<10/);
    });

    it("records reads of people and setting changes in a hash chain, and --verify finds tampering", async () => {
      const before = (await log()).length;
      // A failed read (no such segment) and one without a purpose record nothing.
      expect(
        (await run("segment", "members", "nope", "--purpose", "marketing", "--channel", "email")).code,
      ).toBe(1);
      expect((await run("segment", "members", "gold")).code).toBe(1);
      expect((await log()).length).toBe(before);
      const members = await json(
        "segment",
        "members",
        "gold",
        "--purpose",
        "marketing",
        "--channel",
        "email",
      );
      expect(members.customers).toEqual(["c1", "c2", "c3", "c4", "c5"]);
      const entries = await log();
      expect(entries.length).toBe(before + 1);
      expect(entries[0]).toMatchObject({
        seq: before + 1,
        who: me,
        action: "segment.members",
        subject: "segment=gold channel=email",
        purpose: "marketing",
        people: 5,
      });
      // The trait changes of the test before: setting changes, by the same caller.
      expect(entries.filter((e) => e.action === "traits.set").map((e) => e.subject)).toEqual([
        "trait=signup_day pii=false category=sensitive",
        "trait=age pii=false category=sensitive",
        "trait=gender pii=false category=sensitive",
      ]);
      const verified = await json("privacy", "audit-log", "--verify", "--limit", "1");
      expect(verified.verification).toMatchObject({ ok: true, checked: before + 1 });
      expect(verified.entries).toHaveLength(1);
      const ok = await run("privacy", "audit-log", "--verify");
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/Chain intact: \d+ entries checked/);

      // Someone edits the log behind Tessera's back: the read of 5 people becomes 1.
      const engine = await openSession(db);
      try {
        await engine.run(
          engine.dialect.updateWhere("audit_log", sql`people = 1`, sql`action = 'segment.members'`),
        );
      } finally {
        await engine.close();
      }
      const broken = await run("privacy", "audit-log", "--verify");
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain(
        `broken at entry ${before + 1}: its content does not match its hash (changed)`,
      );
      const brokenJson = await run("privacy", "audit-log", "--verify", "--json");
      expect(brokenJson.code).toBe(1);
      expect(JSON.parse(brokenJson.stdout).verification).toMatchObject({
        ok: false,
        firstBroken: { seq: before + 1 },
      });
      expect((await run("privacy", "audit-log", "--limit", "0")).code).toBe(1);
    });
  },
);
