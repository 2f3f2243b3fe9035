import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  countryCode,
  googleEmail,
  googleName,
  metaName,
  metaPhone,
  metaZip,
  normaliseEmail,
  normalisePhone,
  sha256Hex,
  zipCode,
} from "./contact-normalisation.js";

/** Each rule of contact-normalisation.ts on values written by hand, with the expected result written by hand. */

describe("sha256Hex", () => {
  it("gives the published digests (FIPS 180-2 examples) and node:crypto's for UTF-8 text", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("josé")).toBe(createHash("sha256").update(Buffer.from("josé", "utf8")).digest("hex"));
  });
});

describe("emails", () => {
  it("are trimmed and lower-cased; what cannot be an address is null", () => {
    expect(normaliseEmail("  John.Smith@Example.COM \t")).toBe("john.smith@example.com");
    expect(normaliseEmail("ana@example.org")).toBe("ana@example.org");
    for (const bad of [
      "not-an-email",
      "a b@example.com",
      "ana@localhost",
      "@example.com",
      "a@@example.com",
      "",
    ])
      expect(normaliseEmail(bad), bad).toBeNull();
    expect(normaliseEmail(null)).toBeNull();
  });

  it("lose the dots before the @ for Google at gmail.com and googlemail.com only", () => {
    expect(googleEmail("john.smith@gmail.com")).toBe("johnsmith@gmail.com");
    expect(googleEmail("j.o.h.n@googlemail.com")).toBe("john@googlemail.com");
    expect(googleEmail("john.smith@example.com")).toBe("john.smith@example.com");
    expect(googleEmail("john.smith@gmail.com.au")).toBe("john.smith@gmail.com.au");
    expect(googleEmail("john.smith@notgmail.com")).toBe("john.smith@notgmail.com");
  });
});

describe("phones", () => {
  it("become E.164: as written with a country code, else in the customer's country", () => {
    expect(normalisePhone("+44 20 7183 8750", null)).toBe("+442071838750");
    expect(normalisePhone("020 7183 8750", "GB")).toBe("+442071838750");
    expect(normalisePhone("0044 20 7183 8750", "DE")).toBe("+442071838750");
    expect(normalisePhone("(201) 555-0123", "US")).toBe("+12015550123");
    expect(normalisePhone("030 1234567", " de ")).toBe("+49301234567");
    // A country code given wins over the customer's country.
    expect(normalisePhone("+49 30 1234567", "FR")).toBe("+49301234567");
  });

  it("cannot be normalised without a country code and a known country, or when not valid there", () => {
    expect(normalisePhone("2015550123", null)).toBeNull();
    expect(normalisePhone("2015550123", "Germany")).toBeNull();
    expect(normalisePhone("2015550123", "ZZ")).toBeNull();
    expect(normalisePhone("12", "GB")).toBeNull();
    expect(normalisePhone("abc", "US")).toBeNull();
    expect(normalisePhone("   ", "US")).toBeNull();
    expect(normalisePhone(null, "US")).toBeNull();
  });

  it("are digits only with the country code for Meta", () => {
    expect(metaPhone("+442071838750")).toBe("442071838750");
    expect(metaPhone("+12015550123")).toBe("12015550123");
  });
});

describe("names", () => {
  it("are lower case without spaces for Google", () => {
    expect(googleName(" Mary Ann ")).toBe("maryann");
    expect(googleName("O'Brien")).toBe("o'brien");
    expect(googleName("José")).toBe("josé");
    // The same letter typed decomposed (E + combining acute) is the composed one.
    expect(googleName("E\u0301milie")).toBe("\u00e9milie");
    expect(googleName("  ")).toBeNull();
    expect(googleName(null)).toBeNull();
  });

  it("are lower-case letters only for Meta (accents kept)", () => {
    expect(metaName("O'Brien-Smith")).toBe("obriensmith");
    expect(metaName("Jean Luc")).toBe("jeanluc");
    expect(metaName("Núñez")).toBe("núñez");
    expect(metaName("F.")).toBe("f");
    expect(metaName("--")).toBeNull();
  });
});

describe("countries and zip codes", () => {
  it("read a country as its ISO alpha-2 code", () => {
    expect(countryCode(" gb ")).toBe("GB");
    expect(countryCode("US")).toBe("US");
    expect(countryCode("Germany")).toBeNull();
    expect(countryCode("XX")).toBeNull();
    expect(countryCode(null)).toBeNull();
  });

  it("keep a zip as given for Google, lower case without spaces (US: five digits) for Meta", () => {
    expect(zipCode(" SW1A 1AA ")).toBe("SW1A 1AA");
    expect(zipCode(" ")).toBeNull();
    expect(metaZip("SW1A 1AA", "GB")).toBe("sw1a1aa");
    expect(metaZip("12345-6789", "US")).toBe("12345");
    expect(metaZip("123456789", "us")).toBe("12345");
    expect(metaZip("12345-6789", "DE")).toBe("12345-6789");
    expect(metaZip(null, "US")).toBeNull();
  });
});
