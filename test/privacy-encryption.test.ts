import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { environmentKeyring, sealedContext } from "../src/privacy/encryption.js";
import { open } from "../src/privacy/field-crypto.js";
import { resolvePerson } from "../src/privacy/person.js";
import { openStore } from "../src/store/open-store.js";
import { FOR_READING } from "../src/store/store.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, tempDir, writeFile } from "./helpers.js";

/**
 * Issue 17, item 8: personal data encrypted at rest, whatever the engine. A known email never appears in the
 * database's bytes; without the key (or with another) nothing is written; identity resolution links the same
 * people as in clear.
 */

const KEY = Buffer.from("5c".repeat(32), "hex").toString("base64");
const OTHER = Buffer.from("c5".repeat(32), "hex").toString("base64");
const EMAIL = "ana.secret-person@example.org";

afterEach(() => {
  delete process.env.TESSERA_ENCRYPTION_KEY;
});

function files(dir: string) {
  const d = tempDir();
  return {
    customers: writeFile(
      d,
      "customers.csv",
      "customer_id,email,phone,first_name,last_name,city\n" +
        `c1,${EMAIL},+44 7700 900123,Anastasia,Quixotewright,Leeds\n` +
        // Another record of the same person by email (case and spaces differ): merged into c1.
        `c2, ${EMAIL.toUpperCase()} ,,,,York\n` +
        "c3,bo@example.net,,Bo,,Bath\n" +
        // An address that is not one, and a phone number too short to be one.
        "c4,not-an-email,,,,Hull\n" +
        "c6,,12,,,Ely\n",
    ),
    orders: writeFile(
      d,
      "orders.csv",
      // An order named by email only: linked to c1 through the email.
      `order_id,email,timestamp,total\no1,${EMAIL},2024-03-01,10\no2,bo@example.net,2024-03-02,20\n`,
    ),
    events: writeFile(
      d,
      "events.ndjson",
      `${JSON.stringify({ type: "identify", user_id: "u9", timestamp: "2024-03-03T00:00:00Z", properties: { email: EMAIL, plan: "pro" } })}\n` +
        `${JSON.stringify({ type: "track", user_id: "u9", event: "Signed In", timestamp: "2024-03-04T00:00:00Z" })}\n`,
    ),
    dir,
  };
}

async function importAll(db: string, f: ReturnType<typeof files>): Promise<void> {
  for (const [kind, path] of [
    ["customers", f.customers],
    ["orders", f.orders],
    ["events", f.events],
  ] as const) {
    const r = await runCli("import", kind, path, "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
}

/** Every byte the database holds on disk: its file and write-ahead log, or every file under its directory. */
function databaseBytes(location: string): Buffer {
  const path = location.replace(/^chdb:/, "");
  if (!statSync(path).isDirectory())
    return Buffer.concat([
      readFileSync(path),
      ...(existsSync(`${path}.wal`) ? [readFileSync(`${path}.wal`)] : []),
    ]);
  const all: Buffer[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else all.push(readFileSync(p));
    }
  };
  walk(path);
  return Buffer.concat(all);
}

/** Who each order and the identify event were linked to, and how many identities of each kind: what resolution did. */
async function linked(db: string) {
  const store = await openStore(db, FOR_READING);
  try {
    return await store.read(async (s) => ({
      orders: (await s.query("SELECT order_id, customer_id FROM orders ORDER BY order_id")).rows(),
      events: (await s.query("SELECT type, customer_id FROM events ORDER BY ts")).rows(),
      customers: (await s.query("SELECT customer_id FROM customers ORDER BY customer_id")).column(
        "customer_id",
      ),
      identities: (
        await s.query("SELECT kind, count(*) AS n FROM identities GROUP BY kind ORDER BY kind")
      ).rows(),
    }));
  } finally {
    await store.close();
  }
}

describe.each(TEST_ENGINES)("personal data encrypted at rest on $name", ({ location }) => {
  it("keeps a known email out of the database's bytes, and links the same people as in clear", async () => {
    const clear = location();
    await importAll(clear, files("clear"));
    const clearLinks = await linked(clear);
    // The check is honest: in clear, the email is in the bytes.
    expect(databaseBytes(clear).includes(EMAIL)).toBe(true);

    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    await importAll(db, files("sealed"));
    expect(await linked(db)).toEqual(clearLinks);
    expect(clearLinks.orders).toEqual([
      { order_id: "o1", customer_id: "c1" },
      { order_id: "o2", customer_id: "c3" },
    ]);
    // The audit reads the contact fields in clear for its checks: the same findings as in clear.
    const findings = async (at: string) => {
      const r = await runCli("audit", "--db", at, "--json");
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).findings as { check: string; count: number }[]).map((f) => [
        f.check,
        f.count,
      ]);
    };
    const sealedFindings = await findings(db);
    delete process.env.TESSERA_ENCRYPTION_KEY;
    expect(sealedFindings).toEqual(await findings(clear));
    expect(sealedFindings).toContainEqual(["invalid-email", 1]);
    expect(sealedFindings).toContainEqual(["invalid-phone", 1]);
    const noKey = await runCli("audit", "--db", db);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/encrypted: set TESSERA_ENCRYPTION_KEY/);
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const bytes = databaseBytes(db);
    for (const secret of [EMAIL, EMAIL.toUpperCase(), "Quixotewright", "7700900123", "bo@example.net"])
      expect(bytes.includes(secret), secret).toBe(false);

    // The stored values open with the key, and a person is found by email or phone through the blind index.
    const store = await openStore(db, FOR_READING);
    try {
      await store.read(async (s) => {
        const row = (
          await s.query("SELECT email, last_name, city FROM customers WHERE customer_id = 'c1'")
        ).rows<{
          email: string;
          last_name: string;
          city: string;
        }>()[0];
        const ring = environmentKeyring();
        expect(ring).not.toBeNull();
        // The later record of the person wins field by field, as in clear: c2's spelling of the email.
        expect(open(ring as never, row?.email as string, sealedContext("email"))).toBe(EMAIL.toUpperCase());
        expect(open(ring as never, row?.last_name as string, sealedContext("last_name"))).toBe(
          "Quixotewright",
        );
        // Not personal data: in clear.
        expect(row?.city).toBe("York");
        expect((await resolvePerson(s, ` ${EMAIL.toUpperCase()}`)).customerId).toBe("c1");
        expect((await resolvePerson(s, "+44 (7700) 900-123")).customerId).toBe("c1");
        // The identify call's traits live in the profile, not in clear on its event.
        const props = (await s.query("SELECT properties FROM events WHERE type = 'identify'")).column(
          "properties",
        );
        expect(props).toEqual([null]);
      });
      // Without the key, a lookup by email is refused (the index needs it); by id it works.
      delete process.env.TESSERA_ENCRYPTION_KEY;
      await store.read(async (s) => {
        await expect(resolvePerson(s, EMAIL)).rejects.toThrow(/encrypted: set TESSERA_ENCRYPTION_KEY/);
        expect((await resolvePerson(s, "c3")).customerId).toBe("c3");
      });
    } finally {
      await store.close();
    }
  });

  it("refuses to write personal data without the key or with another, changing nothing", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    const f = files("x");
    expect((await runCli("import", "customers", f.customers, "--db", db)).code).toBe(0);
    const before = await dbSnapshot(db);

    delete process.env.TESSERA_ENCRYPTION_KEY;
    const none = await runCli("import", "orders", f.orders, "--db", db);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/TESSERA_ENCRYPTION_KEY: the database is encrypted/);
    process.env.TESSERA_ENCRYPTION_KEY = OTHER;
    const wrong = await runCli("import", "customers", f.customers, "--db", db);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/does not open the database's values/);
    process.env.TESSERA_ENCRYPTION_KEY = "not a key";
    const bad = await runCli("import", "customers", f.customers, "--db", db);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/TESSERA_ENCRYPTION_KEY: not a 256-bit key/);
    expect(await dbSnapshot(db)).toBe(before);
    // Reports need no key: nothing personal in them.
    delete process.env.TESSERA_ENCRYPTION_KEY;
    expect((await runCli("stats", "--db", db)).code).toBe(0);
  });

  it("does not switch a database holding personal data in clear to encrypted on the side", async () => {
    const db = location();
    const f = files("y");
    expect((await runCli("import", "customers", f.customers, "--db", db)).code).toBe(0);
    const before = await dbSnapshot(db);
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const r = await runCli("import", "orders", f.orders, "--db", db);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already holds personal data in clear/);
    expect(await dbSnapshot(db)).toBe(before);
  });

  it("lets segments ask only whether a sealed trait is set", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    expect((await runCli("import", "customers", files("s").customers, "--db", db)).code).toBe(0);
    const refused = await runCli(
      "segment",
      "add",
      "--id",
      "gm",
      "--name",
      "Gm",
      "--where",
      'email contains "@example"',
      "--db",
      db,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/trait email is personal data, stored encrypted: only whether it is set/);
    const reachable = await runCli(
      "segment",
      "add",
      "--id",
      "reach",
      "--name",
      "Reachable",
      "--where",
      "email exists and city exists",
      "--db",
      db,
    );
    expect(reachable.code, reachable.stderr).toBe(0);
    // City is not personal data: compared as ever.
    expect(
      (
        await runCli(
          "segment",
          "add",
          "--id",
          "york",
          "--name",
          "York",
          "--where",
          'city = "York"',
          "--db",
          db,
        )
      ).code,
    ).toBe(0);
    const r = await runCli("segment", "refresh", "--db", db);
    expect(r.code, r.stderr).toBe(0);
    // The members as stored (sizes this small are suppressed in reports): c1 (c2 merged in), c3 and c4 have an
    // email, c6 none; York is c1's city.
    const store = await openStore(db, FOR_READING);
    try {
      const members = await store.read(async (s) =>
        (
          await s.query(
            "SELECT segment_id, customer_id FROM segment_membership WHERE exited_at IS NULL ORDER BY segment_id, customer_id",
          )
        ).rows(),
      );
      expect(members).toEqual([
        { segment_id: "reach", customer_id: "c1" },
        { segment_id: "reach", customer_id: "c3" },
        { segment_id: "reach", customer_id: "c4" },
        { segment_id: "york", customer_id: "c1" },
      ]);
    } finally {
      await store.close();
    }
  });

  it("keeps personal traits sealed as text, and their flag fixed once they hold values", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    const dir = tempDir();
    expect((await runCli("import", "customers", files("t").customers, "--db", db)).code).toBe(0);
    const before = await dbSnapshot(db);
    const years = writeFile(dir, "years.csv", "customer_id,birth_year,nickname\nc1,1980,Anastasiette\n");
    const numeric = await runCli("import", "customers", years, "--pii", "birth_year", "--db", db);
    expect(numeric.code).toBe(1);
    expect(numeric.stderr).toMatch(/--pii: trait birth_year holds integer values: in an encrypted database/);
    const city = await runCli("traits", "set", "city", "--pii", "--db", db);
    expect(city.code).toBe(1);
    expect(city.stderr).toMatch(/--pii: trait city already holds values in clear/);
    expect(await dbSnapshot(db)).toBe(before);
    // A text trait flagged as it arrives is sealed like the contact fields.
    const nick = await runCli("import", "customers", years, "--pii", "nickname", "--db", db);
    expect(nick.code, nick.stderr).toBe(0);
    expect(databaseBytes(db).includes("Anastasiette")).toBe(false);
    const store = await openStore(db, FOR_READING);
    try {
      const row = await store.read(
        async (s) =>
          (await s.query("SELECT nickname FROM customers WHERE customer_id = 'c1'")).column("nickname")[0],
      );
      expect(open(environmentKeyring() as never, row as string, sealedContext("nickname"))).toBe(
        "Anastasiette",
      );
    } finally {
      await store.close();
    }
  });

  it("opens the person's own values in an access request, with the key only", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    expect((await runCli("import", "customers", files("a").customers, "--db", db)).code).toBe(0);
    const r = await runCli("privacy", "export", "c3", "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    const profile = (
      JSON.parse(r.stdout).tables as { table: string; rows: Record<string, unknown>[] }[]
    ).find((t) => t.table === "customers");
    expect(profile?.rows[0]).toMatchObject({
      customer_id: "c3",
      email: "bo@example.net",
      first_name: "Bo",
      city: "Bath",
    });
    delete process.env.TESSERA_ENCRYPTION_KEY;
    const none = await runCli("privacy", "export", "c3", "--db", db);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/encrypted: set TESSERA_ENCRYPTION_KEY/);
  });

  it("erases a person named by email, and keeps them out of later imports, as in clear", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    const f = files("e");
    await importAll(db, f);
    const r = await runCli("privacy", "erase", EMAIL, "--db", db, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: { tables: true } });
    // A later import naming them by email (their orders file again) is rejected row by row: "erased".
    const again = await runCli("import", "orders", f.orders, "--db", db, "--json");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, rejected: 1 });
  });

  it("re-imports the same profiles as already present, as in clear", async () => {
    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const db = location();
    const f = files("z");
    expect((await runCli("import", "customers", f.customers, "--db", db)).code).toBe(0);
    const again = await runCli("import", "customers", f.customers, "--db", db, "--json");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ accepted: 0, alreadyPresent: 5 });
  });
});
