import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ContactRow,
  channelContact,
  csvFormat,
  type ExportTally,
  googleFormat,
  metaFormat,
} from "./export-formats.js";

/**
 * Each format's row for members written by hand; every expected hash is node:crypto's SHA-256 of the normalised
 * text written out here by hand (never computed by the code under test).
 */
const h = (normalised: string) => createHash("sha256").update(normalised, "utf8").digest("hex");

const MARY: ContactRow = {
  customerId: "c01",
  email: " John.Smith@Gmail.com ",
  phone: "020 7183 8750",
  firstName: "Mary Ann",
  lastName: "O'Brien",
  country: "gb",
  zip: " SW1A 1AA ",
};
const JOSE: ContactRow = {
  customerId: "c02",
  email: "ana@example.org",
  phone: "+1 (201) 555-0123",
  firstName: "José",
  lastName: "Núñez",
  country: "US",
  zip: "12345-6789",
};
/** An address that cannot be one and a number too short: both counted, the row kept by the names. */
const BAD: ContactRow = {
  customerId: "c05",
  email: "not-an-email",
  phone: "12",
  firstName: "Bo",
  lastName: "Li",
  country: "SE",
  zip: "111 22",
};
/** Nothing to reach or match them by. */
const NOBODY: ContactRow = {
  customerId: "c08",
  email: null,
  phone: null,
  firstName: null,
  lastName: null,
  country: "FR",
  zip: null,
};

const tally = (): ExportTally => ({ emails: 0, phones: 0, noContact: 0 });

describe("google (Customer Match)", () => {
  const f = googleFormat({ country: true, zip: true });

  it("hashes email (gmail dots removed), E.164 phone and names without spaces; country and zip in clear", () => {
    expect(f.columns).toEqual(["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]);
    const t = tally();
    expect(f.row(MARY, t)).toEqual([
      h("johnsmith@gmail.com"),
      h("+442071838750"),
      h("maryann"),
      h("o'brien"),
      "GB",
      "SW1A 1AA",
    ]);
    expect(f.row(JOSE, t)).toEqual([
      h("ana@example.org"),
      h("+12015550123"),
      h("josé"),
      h("núñez"),
      "US",
      "12345-6789",
    ]);
    expect(t).toEqual({ emails: 0, phones: 0, noContact: 0 });
  });

  it("counts what cannot be normalised, and leaves out a member with nothing to match", () => {
    const t = tally();
    expect(f.row(BAD, t)).toEqual([null, null, h("bo"), h("li"), "SE", "111 22"]);
    expect(t).toEqual({ emails: 1, phones: 1, noContact: 0 });
    expect(f.row(NOBODY, t)).toBeNull();
    // Without a zip, the address is incomplete: its four cells stay empty.
    expect(f.row({ ...JOSE, zip: null }, tally())).toEqual([
      h("ana@example.org"),
      h("+12015550123"),
      null,
      null,
      null,
      null,
    ]);
  });

  it("sends no names when the database has no zip (Google matches names only with country and zip)", () => {
    const g = googleFormat({ country: true, zip: false });
    expect(g.columns).toEqual(["Email", "Phone"]);
    expect(g.fields).not.toContain("firstName");
    expect(g.row(MARY, tally())).toEqual([h("johnsmith@gmail.com"), h("+442071838750")]);
  });
});

describe("meta (Custom Audiences)", () => {
  const f = metaFormat({ country: true, zip: true });

  it("hashes email (dots kept), phone digits, names as letters, country and zip (US: five digits)", () => {
    expect(f.columns).toEqual(["EMAIL", "PHONE", "FN", "LN", "COUNTRY", "ZIP"]);
    expect(f.row(MARY, tally())).toEqual([
      h("john.smith@gmail.com"),
      h("442071838750"),
      h("maryann"),
      h("obrien"),
      h("gb"),
      h("sw1a1aa"),
    ]);
    expect(f.row(JOSE, tally())).toEqual([
      h("ana@example.org"),
      h("12015550123"),
      h("josé"),
      h("núñez"),
      h("us"),
      h("12345"),
    ]);
  });

  it("keeps a member by both names, counts what cannot be normalised, leaves out who has nothing", () => {
    const t = tally();
    expect(f.row(BAD, t)).toEqual([null, null, h("bo"), h("li"), h("se"), h("11122")]);
    expect(f.row({ ...BAD, lastName: null }, t)).toBeNull();
    expect(f.row(NOBODY, t)).toBeNull();
    expect(t).toEqual({ emails: 2, phones: 2, noContact: 0 });
    expect(metaFormat({ country: false, zip: false }).columns).toEqual(["EMAIL", "PHONE", "FN", "LN"]);
  });
});

describe("csv (the channel's contact fields, in clear)", () => {
  it("says which contact field each channel needs", () => {
    expect(["email", "sms", "whatsapp", "push", "ads", "postal"].map(channelContact)).toEqual([
      "email",
      "phone",
      "phone",
      "id",
      "any",
      "any",
    ]);
  });

  it("email: id, address and names; a member without a usable address is left out", () => {
    const f = csvFormat("email");
    expect(f.columns).toEqual(["customer_id", "email", "first_name", "last_name"]);
    expect(f.fields).not.toContain("phone");
    const t = tally();
    expect(f.row(MARY, t)).toEqual(["c01", "john.smith@gmail.com", "Mary Ann", "O'Brien"]);
    expect(f.row(BAD, t)).toBeNull();
    expect(t).toEqual({ emails: 1, phones: 0, noContact: 0 });
  });

  it("sms: id, E.164 number and names; push: the id alone; another channel: address and number", () => {
    const sms = csvFormat("sms");
    expect(sms.columns).toEqual(["customer_id", "phone", "first_name", "last_name"]);
    expect(sms.row(JOSE, tally())).toEqual(["c02", "+12015550123", "José", "Núñez"]);
    expect(sms.row(BAD, tally())).toBeNull();
    const push = csvFormat("push");
    expect(push.columns).toEqual(["customer_id"]);
    expect(push.fields).toEqual([]);
    expect(push.row(NOBODY, tally())).toEqual(["c08"]);
    const ads = csvFormat("ads");
    expect(ads.columns).toEqual(["customer_id", "email", "phone", "first_name", "last_name"]);
    expect(ads.row(MARY, tally())).toEqual([
      "c01",
      "john.smith@gmail.com",
      "+442071838750",
      "Mary Ann",
      "O'Brien",
    ]);
    expect(ads.row(BAD, tally())).toBeNull();
  });
});
