/**
 * `tessera audience export ID --format csv|google|meta --out FILE` (issue 18, item 2), as a user runs it, on every
 * engine: only the audience's consented people now are written (someone who withdrew consent, never gave it or is
 * suppressed is in no file), every value normalised and hashed as Google and Meta say (expected hashes are
 * node:crypto's SHA-256 of normalised text written here by hand), an encrypted database exports the same bytes as
 * a clear one, each export is in the audit log, and bad input is refused naming the option, nothing written.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { exportAudience } from "../src/activation/audience-export.js";
import { audienceNamed } from "../src/activation/audiences.js";
import { openStore } from "../src/store/open-store.js";
import { TEST_ENGINES } from "./engines.js";
import { dbSnapshot, runCli, tempDir, tesseraJson, writeFile } from "./helpers.js";

const h = (normalised: string) => createHash("sha256").update(normalised, "utf8").digest("hex");
const KEY = Buffer.from("3a".repeat(32), "hex").toString("base64");

afterEach(() => {
  delete process.env.TESSERA_ENCRYPTION_KEY;
});

/**
 * c01, c02: everything; c03 withdrew consent; c04 is suppressed; c05's address and number cannot be normalised
 * (kept by name); c06 never consented; c07 has no phone; c08 nothing to reach or match.
 */
const CUSTOMERS = `customer_id,email,phone,first_name,last_name,country,zip
c01, John.Smith@Gmail.com ,020 7183 8750,Mary Ann,O'Brien,GB,SW1A 1AA
c02,ana@example.org,+1 (201) 555-0123,José,Núñez,US,12345-6789
c03,withdrew@example.com,+44 20 7946 0018,Wit,Drew,GB,EC1A 1BB
c04,suppressed@example.com,+44 20 7946 0019,Sup,Pressed,GB,EC1A 1BC
c05,not-an-email,12,Bo,Li,SE,111 22
c06,noconsent@example.com,+44 20 7946 0020,No,Consent,GB,EC1A 1BD
c07,kim@example.net,,Kim,Lee,FR,75001
c08,,,,,FR,
`;
const IDS = ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08"];
/** The people no export may name, by their email's every normalised form. */
const NEVER = ["withdrew@example.com", "suppressed@example.com", "noconsent@example.com"];

function files(dir: string) {
  const consents = ["customer_id,purpose,channel,status,timestamp"];
  for (const id of IDS.filter((i) => i !== "c06"))
    for (const channel of ["ads", "email", "sms"])
      consents.push(`${id},marketing,${channel},granted,2024-01-01`);
  for (const channel of ["ads", "email", "sms"])
    consents.push(`c03,marketing,${channel},withdrawn,2024-02-01`);
  return {
    customers: writeFile(dir, "customers.csv", CUSTOMERS),
    orders: writeFile(
      dir,
      "orders.csv",
      `order_id,customer_id,timestamp,total\n${IDS.map((id, i) => `o${i},${id},2024-03-01,10`).join("\n")}\n`,
    ),
    consents: writeFile(dir, "consents.csv", `${consents.join("\n")}\n`),
  };
}

/** A database with the people above, a segment of all of them and three audiences (ads, email, sms). */
async function setUp(db: string): Promise<void> {
  const f = files(tempDir());
  for (const [kind, path, extra] of [
    ["customers", f.customers, ["--pii", "zip"]],
    ["orders", f.orders, []],
    ["consents", f.consents, []],
  ] as const) {
    const r = await runCli("import", kind, path, ...extra, "--db", db);
    expect(r.code, r.stderr).toBe(0);
  }
  await tesseraJson(
    db,
    "segment",
    "add",
    "--id",
    "everyone",
    "--name",
    "All",
    "--where",
    "orders.count() >= 1",
  );
  await tesseraJson(db, "segment", "refresh", "--as-of", "2024-04-01");
  await tesseraJson(db, "privacy", "suppress", "c04", "--reason", "unsubscribed");
  for (const [id, channel] of [
    ["ads", "ads"],
    ["mail", "email"],
    ["texts", "sms"],
  ])
    await tesseraJson(
      db,
      "audience",
      "create",
      id as string,
      "--segment",
      "everyone",
      "--purpose",
      "marketing",
      "--channel",
      channel as string,
    );
}

const GOOGLE = [
  "Email,Phone,First Name,Last Name,Country,Zip",
  `${h("johnsmith@gmail.com")},${h("+442071838750")},${h("maryann")},${h("o'brien")},GB,SW1A 1AA`,
  `${h("ana@example.org")},${h("+12015550123")},${h("josé")},${h("núñez")},US,12345-6789`,
  `,,${h("bo")},${h("li")},SE,111 22`,
  `${h("kim@example.net")},,${h("kim")},${h("lee")},FR,75001`,
  "",
].join("\n");

const META = {
  schema: ["EMAIL", "PHONE", "FN", "LN", "COUNTRY", "ZIP"],
  data: [
    [h("john.smith@gmail.com"), h("442071838750"), h("maryann"), h("obrien"), h("gb"), h("sw1a1aa")],
    [h("ana@example.org"), h("12015550123"), h("josé"), h("núñez"), h("us"), h("12345")],
    ["", "", h("bo"), h("li"), h("se"), h("11122")],
    [h("kim@example.net"), "", h("kim"), h("lee"), h("fr"), h("75001")],
    // c08: nothing but a country: left out.
  ],
};

/** Runs an export with --json; its answer. */
async function exported(db: string, ...args: string[]) {
  return tesseraJson(db, "audience", "export", ...args);
}

/** Every byte the database holds on disk (its file and write-ahead log, or its directory's files). */
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

describe.each(TEST_ENGINES)("audience export on $name", (engine) => {
  it("writes the consented people in each format, normalised and hashed by hand-checked rules", async () => {
    const db = engine.location();
    await setUp(db);
    const dir = tempDir();

    const google = await exported(db, "ads", "--format", "google", "--out", join(dir, "ads.csv"));
    expect(readFileSync(join(dir, "ads.csv"), "utf8")).toBe(GOOGLE);
    expect(google).toEqual({
      audience: "ads",
      format: "google",
      purpose: "marketing",
      channel: "ads",
      files: [join(dir, "ads.csv")],
      columns: ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"],
      rows: 4,
      // c01, c02, c05, c07, c08 passed the gate; c08 has nothing to match on.
      consented: 5,
      // c03 and c06 without consent, c04 suppressed: small groups, hidden together.
      leftOut: { noConsent: null, suppressionList: null, suppressed: true },
      noContact: 1,
      notNormalised: { emails: 1, phones: 1 },
      replaced: [],
      removed: [],
    });

    const meta = await exported(db, "ads", "--format", "meta", "--out", join(dir, "ads.json"));
    expect(JSON.parse(readFileSync(join(dir, "ads.json"), "utf8"))).toEqual(META);
    expect(meta).toMatchObject({ files: [join(dir, "ads.json")], rows: 4, noContact: 1 });

    // csv: the channel's contact fields in clear. Email: c05's address cannot be one, c08 has none.
    const mail = await exported(db, "mail", "--format", "csv", "--out", join(dir, "mail.csv"));
    expect(readFileSync(join(dir, "mail.csv"), "utf8")).toBe(
      [
        "customer_id,email,first_name,last_name",
        "c01,john.smith@gmail.com,Mary Ann,O'Brien",
        "c02,ana@example.org,José,Núñez",
        "c07,kim@example.net,Kim,Lee",
        "",
      ].join("\n"),
    );
    expect(mail).toMatchObject({
      rows: 3,
      consented: 5,
      noContact: 2,
      notNormalised: { emails: 1, phones: 0 },
    });
    // SMS: numbers in E.164 (c01's read as British, its country); c05's too short, c07 and c08 have none.
    const texts = await exported(db, "texts", "--format", "csv", "--out", join(dir, "texts.csv"));
    expect(readFileSync(join(dir, "texts.csv"), "utf8")).toBe(
      "customer_id,phone,first_name,last_name\nc01,+442071838750,Mary Ann,O'Brien\nc02,+12015550123,José,Núñez\n",
    );
    expect(texts).toMatchObject({ rows: 2, noContact: 3, notNormalised: { emails: 0, phones: 1 } });

    // Nobody who withdrew, never consented or is suppressed is in any file, in clear or hashed.
    const written = ["ads.csv", "ads.json", "mail.csv", "texts.csv"].map((f) =>
      readFileSync(join(dir, f), "utf8"),
    );
    for (const text of written) {
      expect(text).not.toMatch(/^c0[346],/m);
      for (const email of NEVER) {
        expect(text).not.toContain(email);
        expect(text).not.toContain(h(email));
      }
      for (const name of ["wit", "drew", "sup", "pressed", "consent"]) expect(text).not.toContain(h(name));
    }

    // A withdrawal takes effect at the next export, without a refresh.
    await runCli(
      "consent",
      "record",
      "c02",
      "--purpose",
      "marketing",
      "--channel",
      "ads",
      "--status",
      "withdrawn",
      "--db",
      db,
    );
    const after = await exported(db, "ads", "--format", "google", "--out", join(dir, "ads-after.csv"));
    expect(after).toMatchObject({ rows: 3, consented: 4 });
    expect(readFileSync(join(dir, "ads-after.csv"), "utf8")).not.toContain(h("ana@example.org"));

    // Each export is in the audit log: who, the audience and format, the use, how many people.
    const log = await tesseraJson(db, "privacy", "audit-log");
    const entries = (
      log.entries as { action: string; subject: string; purpose: string; people: number }[]
    ).filter((e) => e.action === "audience.export");
    expect(entries.map((e) => [e.subject, e.purpose, e.people]).reverse()).toEqual([
      ["audience=ads format=google channel=ads", "marketing", 4],
      ["audience=ads format=meta channel=ads", "marketing", 4],
      ["audience=mail format=csv channel=email", "marketing", 3],
      ["audience=texts format=csv channel=sms", "marketing", 2],
      ["audience=ads format=google channel=ads", "marketing", 3],
    ]);
  });

  it("gives the same file read in chunks of two, phones parsed in worker threads", async () => {
    const db = engine.location();
    await setUp(db);
    const dir = tempDir();
    const store = await openStore(db);
    try {
      for (const format of ["google", "meta"] as const) {
        const out = join(dir, `chunked-${format}`);
        const r = await store.read(async (s) =>
          exportAudience(s, await audienceNamed(s, "ads"), {
            format,
            out,
            force: false,
            chunkRows: 2,
            phoneThreads: 2,
          }),
        );
        expect(r).toMatchObject({ rows: 4, noContact: 1, notNormalised: { emails: 1, phones: 1 } });
        const text = readFileSync(out, "utf8");
        expect(format === "google" ? text : JSON.parse(text)).toEqual(format === "google" ? GOOGLE : META);
      }
    } finally {
      await store.close();
    }
  });

  it("exports the same bytes from an encrypted database, whose clear values stay out of it", async () => {
    const clear = engine.location();
    await setUp(clear);
    const dir = tempDir();
    for (const f of ["google", "meta"])
      await exported(clear, "ads", "--format", f, "--out", join(dir, `clear-${f}`));

    process.env.TESSERA_ENCRYPTION_KEY = KEY;
    const sealed = engine.location();
    await setUp(sealed);
    for (const f of ["google", "meta"]) {
      const r = await exported(sealed, "ads", "--format", f, "--out", join(dir, `sealed-${f}`));
      expect(r).toMatchObject({ rows: 4, notNormalised: { emails: 1, phones: 1 } });
      expect(readFileSync(join(dir, `sealed-${f}`), "utf8")).toBe(
        readFileSync(join(dir, `clear-${f}`), "utf8"),
      );
    }
    expect(readFileSync(join(dir, "sealed-google"), "utf8")).toBe(GOOGLE);
    // The values opened for the export never reached the database (the zip trait, flagged personal, too).
    const bytes = databaseBytes(sealed);
    for (const secret of ["John.Smith@Gmail.com", "ana@example.org", "O'Brien", "SW1A 1AA", "2071838750"])
      expect(bytes.includes(secret), secret).toBe(false);

    // Without the key, nothing is exported.
    delete process.env.TESSERA_ENCRYPTION_KEY;
    const r = await runCli(
      "audience",
      "export",
      "ads",
      "--format",
      "google",
      "--out",
      join(dir, "nokey.csv"),
      "--db",
      sealed,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TESSERA_ENCRYPTION_KEY: the database is encrypted/);
    expect(existsSync(join(dir, "nokey.csv"))).toBe(false);
  });

  it("refuses bad input naming the option, writing nothing and recording nothing", async () => {
    const db = engine.location();
    await setUp(db);
    const dir = tempDir();
    const before = await dbSnapshot(db);
    const refused = async (pattern: RegExp, ...args: string[]) => {
      const r = await runCli("audience", "export", ...args, "--db", db);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe("");
    };
    const out = join(dir, "x.csv");
    await refused(/no audience "adz" \(did you mean "ads"\?\)/, "adz", "--format", "csv", "--out", out);
    await refused(
      /--format: unknown format "gogle" \(did you mean "google"\?\): csv, google, meta/,
      "ads",
      "--format",
      "gogle",
      "--out",
      out,
    );
    await refused(/--format: required: csv, google, meta/, "ads", "--out", out);
    await refused(/--out: required: the file to write/, "ads", "--format", "csv");
    await refused(
      /--out: cannot write .*: no folder .*nowhere/,
      "ads",
      "--format",
      "csv",
      "--out",
      join(dir, "nowhere", "x.csv"),
    );
    await refused(/--out: .* is a folder/, "ads", "--format", "csv", "--out", dir);
    writeFileSync(join(dir, "notadir"), "");
    await refused(
      /--out: cannot write .*notadir is not a folder/,
      "ads",
      "--format",
      "csv",
      "--out",
      join(dir, "notadir", "x.csv"),
    );
    // A file that exists is kept unless --force.
    writeFileSync(out, "my own file\n");
    await refused(
      /--out: .*x\.csv exists: name another file, or give --force to replace it/,
      "ads",
      "--format",
      "csv",
      "--out",
      out,
    );
    expect(readFileSync(out, "utf8")).toBe("my own file\n");
    expect(readdirSync(dir).sort()).toEqual(["notadir", "x.csv"]);
    // The unknown audience is a 404-class error; nothing was recorded in the audit log, nothing else changed.
    expect(await dbSnapshot(db)).toBe(before);

    const forced = await exported(db, "ads", "--format", "csv", "--out", out, "--force");
    expect(forced).toMatchObject({ rows: 3, replaced: [out] });
    expect(readFileSync(out, "utf8")).toMatch(/^customer_id,email,phone,first_name,last_name\nc01,/);
  });
});
