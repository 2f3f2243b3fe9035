import { parsePhoneNumberFromString } from "libphonenumber-js";
import { describe, expect, it } from "vitest";
import { CITIES, mobileNumber } from "./geography.js";
import { drawProfile } from "./population.js";
import { randomFor } from "./random.js";

/**
 * Synthetic phone numbers are valid mobile numbers of the customer's country, as a phone library (libphonenumber,
 * the one exports and SMS campaigns normalise with) reads them: the demo's exports and campaigns then leave out
 * only the numbers the dirt made wrong, as on real data.
 */
describe("synthetic phone numbers", () => {
  it("are valid mobile numbers of each country the generator knows", () => {
    const countries = [...new Set(Object.values(CITIES).map((c) => c.country))];
    expect(countries.length).toBeGreaterThan(10);
    for (const country of countries)
      for (const [digits, index] of [
        ["100000000", 0],
        ["999999999", 9_999_999],
        ["5012345678", 1_234_567],
        ["314159265", 42],
      ] as const) {
        const p = parsePhoneNumberFromString(mobileNumber(country, digits, index));
        expect(
          [p?.isValid(), p?.country === country || (country === "CA" && p?.countryCallingCode === "1")],
          `${country} ${digits}`,
        ).toEqual([true, true]);
      }
  });

  it("are what the population draws, every one valid, no two alike (identity resolution would merge them)", () => {
    let valid = 0;
    const n = 3000;
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const p = drawProfile(randomFor(7, i, 0), i);
      if (parsePhoneNumberFromString(p.phone)?.isValid()) valid++;
      seen.add(p.phone);
    }
    expect(valid).toBe(n);
    expect(seen.size).toBe(n);
    // Far apart in a large base too: the index fills the last digits.
    const far = [5, 1_000_005, 2_000_005, 9_999_999].map((i) => mobileNumber("US", "345", i));
    expect(new Set(far).size).toBe(far.length);
  });
});
