/**
 * Accounts (B2B) on every engine: an accounts file imported with bad rows set aside, group events linking people
 * to accounts, and the `account` leaf of the segment language against hand-computed members — membership as of
 * the evaluation time, accounts without a row of traits, `not` as the exact complement, validation with
 * did-you-mean, and the members of a changed account marked for the next refresh.
 */
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importFile } from "../src/ingest/import.js";
import { EVAL, evaluateSegments } from "../src/segments/evaluate.js";
import { definitionWarnings } from "../src/segments/hints.js";
import { loadSchemaContext } from "../src/segments/schema-context.js";
import { parseCondition } from "../src/segments/text/parse.js";
import { printCondition } from "../src/segments/text/print.js";
import { validateSegment } from "../src/segments/validate.js";
import { openSession } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import type { Session } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { tempDir, writeFile } from "./helpers.js";

const NOW = new Date("2024-06-02T00:00:00Z");

/** Four accounts rows, one without its id; the group events also name an account without a row (hooli). */
const ACCOUNTS = `account_id,Name,Industry,Employees,Founded
acme,Acme Corp,Software,250,2015-03-01
globex,Globex,Retail,40,
initech,Initech,,1200,1999-02-19
,Nameless,Software,10,2002-02-02
`;

/** A second file: globex moves to Software (its empty Employees cell keeps 40), two rows do not fit the types. */
const UPDATE = `account_id,Industry,Employees,Founded
globex,Software,,
acme,,lots,
initech,,,1999-02-30
`;

const EVENTS = `timestamp,type,event,user_id,group_id
2024-01-10T10:00:00Z,group,,u1,acme
2024-01-11T10:00:00Z,group,,u2,globex
2024-01-12T10:00:00Z,group,,u3,acme
2024-01-12T11:00:00Z,group,,u3,initech
2024-05-01T10:00:00Z,group,,u4,globex
2024-01-13T10:00:00Z,group,,u5,hooli
2024-01-14T10:00:00Z,track,Signed Up,u6,
2024-01-15T10:00:00Z,group,,u7,
`;

let engine: Session;

describe.each(TEST_ENGINES)("accounts on $name", ({ location }) => {
  beforeEach(async () => {
    engine = await openSession(location());
  });
  afterEach(() => engine.close());

  /** The ids a condition selects as of a time. */
  async function select(where: unknown, asOf = new Date("2024-06-01T00:00:00Z")): Promise<string[]> {
    const schema = await loadSchemaContext(engine);
    const def = validateSegment({ id: "t", name: "t", where }, schema);
    const ev = await evaluateSegments(engine, [def], schema, asOf);
    const r = await engine.query(
      sql`SELECT customer_id FROM ${EVAL} WHERE ${sql.ident(ev.columns.get("t") as string)} ORDER BY customer_id`,
    );
    return r.column("customer_id") as string[];
  }

  async function loaded(): Promise<string> {
    const dir = tempDir();
    const accounts = writeFile(dir, "accounts.csv", ACCOUNTS);
    const s = await importFile(engine, { kind: "accounts", path: accounts, now: NOW });
    expect(s).toMatchObject({
      kind: "accounts",
      read: 4,
      accepted: 3,
      rejected: 1,
      alreadyPresent: 0,
      customersCreated: 0,
      rejectsFile: `${accounts}.rejects.csv`,
    });
    expect(s.newTraits).toEqual([
      { name: "name", type: "string" },
      { name: "industry", type: "string" },
      { name: "employees", type: "integer" },
      { name: "founded", type: "date" },
    ]);
    const events = writeFile(dir, "events.csv", EVENTS);
    const e = await importFile(engine, { kind: "events", path: events, now: NOW });
    expect(e).toMatchObject({ read: 8, accepted: 7, rejected: 1 });
    const rejects = readFileSync(`${events}.rejects.csv`, "utf8").trim().split("\n");
    expect(rejects[1]).toBe(
      "8,group_id,missing group_id (required for group events: a group_id column or a key of properties),2024-01-15T10:00:00Z,group,,u7,",
    );
    return accounts;
  }

  it("imports accounts: typed traits, bad rows in the reject file with row, field and reason", async () => {
    const accounts = await loaded();
    const rejects = readFileSync(`${accounts}.rejects.csv`, "utf8").trim().split("\n");
    expect(rejects).toEqual([
      "row,field,reason,account_id,Name,Industry,Employees,Founded",
      "4,account_id,missing required value,,Nameless,Software,10,2002-02-02",
    ]);
    const stored = await engine.query(
      "SELECT account_id, name, industry, employees, founded FROM accounts ORDER BY account_id",
    );
    expect(stored.rows()).toEqual([
      {
        account_id: "acme",
        name: "Acme Corp",
        industry: "Software",
        employees: 250,
        founded: expect.anything(),
      },
      { account_id: "globex", name: "Globex", industry: "Retail", employees: 40, founded: null },
      { account_id: "initech", name: "Initech", industry: null, employees: 1200, founded: expect.anything() },
    ]);
    // The same file again changes nothing; a file whose values do not fit the traits' types: rejected rows.
    const again = await importFile(engine, { kind: "accounts", path: accounts, now: NOW });
    expect(again).toMatchObject({ read: 4, accepted: 0, rejected: 1, alreadyPresent: 3 });
    await engine.run(engine.dialect.deleteWhere("segment_dirty", sql`true`));
    const update = writeFile(tempDir(), "accounts-update.csv", UPDATE);
    const u = await importFile(engine, { kind: "accounts", path: update, now: NOW });
    expect(u).toMatchObject({ read: 3, accepted: 1, rejected: 2, alreadyPresent: 0, newTraits: [] });
    expect(readFileSync(`${update}.rejects.csv`, "utf8").trim().split("\n")).toEqual([
      "row,field,reason,account_id,Industry,Employees,Founded",
      "2,Employees,not an integer (trait employees is integer): lots,acme,,lots,",
      "3,Founded,not a date (trait founded is date): 1999-02-30,initech,,,1999-02-30",
    ]);
    const globex = await engine.query("SELECT industry, employees FROM accounts WHERE account_id = 'globex'");
    expect(globex.rows()).toEqual([{ industry: "Software", employees: 40 }]);
    // Globex's people (its group events name them) are marked for the next refresh; nobody else.
    const dirty = await engine.query("SELECT DISTINCT customer_id FROM segment_dirty ORDER BY customer_id");
    expect(dirty.column("customer_id")).toEqual(["u2", "u4"]);
  });

  it("selects the people some account of whom has the trait, as of the evaluation time", async () => {
    await loaded();
    expect(await select({ account: "industry", eq: "Software" })).toEqual(["u1", "u3"]);
    // The exact complement: no account (u6), an account without the trait or a row (u5: hooli) included.
    expect(await select({ not: { account: "industry", eq: "Software" } })).toEqual(["u2", "u4", "u5", "u6"]);
    expect(await select({ account: "employees", gt: 100 })).toEqual(["u1", "u3"]);
    expect(await select({ account: "employees", lt: 100 })).toEqual(["u2", "u4"]);
    // Some account lacks the trait: initech (u3), and hooli, which has no row at all (u5).
    expect(await select({ account: "industry", exists: false })).toEqual(["u3", "u5"]);
    expect(await select({ account: "account_id", eq: "hooli" })).toEqual(["u5"]);
    expect(await select({ account: "founded", lt: "2000-01-01" })).toEqual(["u3"]);
    expect(await select({ account: "name", starts_with: "Glo" })).toEqual(["u2", "u4"]);
    // Founded more than five years before the as-of time: acme (2015) and initech (1999).
    expect(await select({ account: "founded", lt: { ago: "5y" } })).toEqual(["u1", "u3"]);
    expect(await select({ account: "founded", gt: { ago: "5y" } })).toEqual([]);
    // u4's group call comes after March: not a member of globex then.
    expect(await select({ account: "employees", lt: 100 }, new Date("2024-03-01T00:00:00Z"))).toEqual(["u2"]);
    // The text form reads the same.
    const text = 'account.industry = "Software" and account("employees") >= 250';
    expect(parseCondition(text)).toEqual({
      all: [
        { account: "industry", eq: "Software" },
        { account: "employees", gte: 250 },
      ],
    });
    expect(printCondition(parseCondition(text))).toBe(
      'account.industry = "Software" and account.employees >= 250',
    );
    expect(await select(parseCondition(text))).toEqual(["u1", "u3"]);
  });

  it("refuses a column named as an account's own, and options about persons' traits, writing nothing", async () => {
    const dir = tempDir();
    const reserved = writeFile(dir, "reserved.csv", "account_id,Updated At\nacme,2024-01-01\n");
    await expect(importFile(engine, { kind: "accounts", path: reserved, now: NOW })).rejects.toThrow(
      `${reserved}: column "Updated At" would become the account trait "updated_at", which is a built-in field of accounts (account_id, created_at, updated_at); rename it with --map <account_trait>=Updated At`,
    );
    const plain = writeFile(dir, "plain.csv", "account_id,industry\nacme,Software\n");
    await expect(importFile(engine, { kind: "accounts", path: plain, pii: ["industry"] })).rejects.toThrow(
      "--pii apply to a customers import (a person's traits)",
    );
    expect((await engine.query("SELECT count(*) AS n FROM account_traits")).column("n")).toEqual([0]);
    // Mapped, the column is an ordinary trait.
    const mapped = await importFile(engine, {
      kind: "accounts",
      path: reserved,
      map: ["last_review=Updated At"],
      now: NOW,
    });
    expect(mapped.newTraits).toEqual([{ name: "last_review", type: "date" }]);
  });

  it("refuses an unknown account trait with the nearest known one, and a value of another type", async () => {
    await loaded();
    const schema = await loadSchemaContext(engine);
    const check = (where: unknown) => () => validateSegment({ id: "t", name: "t", where }, schema);
    expect(check({ account: "industri", eq: "Software" })).toThrow(
      'where.account: unknown account trait "industri" (did you mean "industry"?)',
    );
    expect(check({ account: "employees", eq: "many" })).toThrow(
      'where.eq: account trait employees is integer, but "many" is text',
    );
    expect(check({ not: { account: "industry", contains: 3 } })).toThrow("where.not.contains");
    // Valid, but a value no account has: a warning with the nearest one.
    const def = validateSegment(
      { id: "t", name: "t", where: { account: "industry", eq: "Softwar" } },
      schema,
    );
    expect(await definitionWarnings(engine, def, schema)).toEqual([
      {
        path: "where.eq",
        message: 'account trait industry never takes the value "Softwar" (did you mean "Software"?)',
      },
    ]);
  });
});
