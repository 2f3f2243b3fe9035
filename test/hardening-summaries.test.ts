import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, tempDir, writeFile } from "./helpers.js";

/** Issue 15, items 4 and 13: import summaries say what happened; conflicts are reported, never dropped. */

/** The summary's lines without the time it took. */
function summary(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((l) => l.replace(/ \(\d+\.\d s\)$/, ""));
}

describe.each(TEST_ENGINES)("import summaries on $name", ({ location }) => {
  it("counts records merged by a shared email, and a no-op re-import as already present", async () => {
    const db = location();
    const dir = tempDir();
    // c1 and c2 share an email (any case): one person. c3 is alone.
    const path = writeFile(
      dir,
      "c.csv",
      "customer_id,email,first_name\nc1,ann@x.org,Ann\nc2,ANN@x.org,Anna\nc3,bo@x.org,Bo\n",
    );
    const first = await runCli("import", "customers", path, "--db", db);
    expect(first.code, first.stderr).toBe(0);
    expect(summary(first.stdout)).toEqual([
      `${path} (customers): 3 rows read, 3 accepted, 0 rejected, 0 already present`,
      "  customers: 2 new, 1 merged by shared identifiers",
    ]);
    const before = await dbSnapshot(db);
    const again = await runCli("import", "customers", path, "--db", db, "--json");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      read: 3,
      accepted: 0,
      rejected: 0,
      alreadyPresent: 3,
      conflicts: 0,
      customersCreated: 0,
      customersMerged: 0,
    });
    // Nothing but the bookkeeping (the import log, the refresh marks, profile times) changed.
    const tables = (s: string) =>
      s
        .split("\n")
        .filter((l) => /^(customers|identities|identity_merges)\(/.test(l))
        .map((l) => l.replace(/"(profile_at|updated_at)":"[^"]*"/g, ""));
    expect(tables(await dbSnapshot(db))).toEqual(tables(before));
  });

  it("counts a new record joined to a stored customer by its email as merged", async () => {
    const db = location();
    const dir = tempDir();
    await runCli(
      "import",
      "customers",
      writeFile(dir, "a.csv", "customer_id,email\nc1,ann@x.org\n"),
      "--db",
      db,
    );
    const r = await runCli(
      "import",
      "customers",
      writeFile(dir, "b.csv", "customer_id,email\nc7,ann@x.org\n"),
      "--db",
      db,
      "--json",
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 1, customersCreated: 0, customersMerged: 1 });
  });

  it("counts an anonymous visitor joined to the account it identified as as merged", async () => {
    const db = location();
    const dir = tempDir();
    const path = writeFile(
      dir,
      "e.csv",
      "anonymous_id,user_id,event,type,timestamp\na1,,Viewed,track,2024-01-01\na1,u1,,identify,2024-01-01T00:05:00Z\n",
    );
    const r = await runCli("import", "events", path, "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 2, customersCreated: 1, customersMerged: 1 });
    const again = await runCli("import", "events", path, "--db", db, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({
      accepted: 0,
      alreadyPresent: 2,
      customersCreated: 0,
      customersMerged: 0,
    });
  });

  it("prints conflicts in the summary, and refuses a strict import with one, changing nothing", async () => {
    const db = location();
    const dir = tempDir();
    const header = "order_id,timestamp,total\n";
    await runCli("import", "orders", writeFile(dir, "a.csv", `${header}A1,2024-01-01,10\n`), "--db", db);
    const path = writeFile(dir, "b.csv", `${header}A1,2024-01-01,12\nA2,2024-01-02,5\n`);
    const before = await dbSnapshot(db);
    const strict = await runCli("import", "orders", path, "--strict", "--db", db);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain(
      "1 of 2 rows in conflict with stored or earlier rows of the same key (first: row 1, field order_id: conflict: order_id A1 is stored with other values: not loaded (on conflict: reject)); nothing was imported (--strict)",
    );
    expect(await dbSnapshot(db)).toBe(before);
    const r = await runCli("import", "orders", path, "--db", db);
    expect(r.code, r.stderr).toBe(0);
    expect(summary(r.stdout)).toEqual([
      `${path} (orders): 2 rows read, 1 accepted, 0 rejected, 0 already present, 1 in conflict`,
      "  conflicts: rows with a stored or earlier key and other values were not loaded (--on-conflict reject); both versions in the reject file",
      `  rejected rows and reasons: ${path}.rejects.csv`,
    ]);
  });

  it("refuses an unknown --on-conflict, naming the option, before opening the database", async () => {
    const dir = tempDir();
    const db = location();
    const path = writeFile(dir, "o.csv", "order_id,timestamp,total\nA1,2024-01-01,10\n");
    await runCli("import", "orders", path, "--db", db);
    const before = await dbSnapshot(db);
    const r = await runCli("import", "orders", path, "--on-conflict", "overwrite", "--db", db);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--on-conflict: expected one of reject, keep-first, replace, got "overwrite"');
    expect(await dbSnapshot(db)).toBe(before);
  });
});
