import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { civilDate, daysFromCivil, parseIsoDate, TimestampFormatter } from "./timestamps.js";

/** What the hand-written formatter must equal: toISOString without milliseconds. */
function reference(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

describe("TimestampFormatter", () => {
  const fmt = new TimestampFormatter();

  it("matches Date.toISOString for any second from 1900 to 2200", () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_208_988_800, max: 7_258_118_400 }), (s) => {
        expect(fmt.iso(s)).toBe(reference(s));
      }),
      { numRuns: 20_000 },
    );
  });

  it("truncates fractional seconds", () => {
    expect(fmt.iso(1_772_373_909.999)).toBe("2026-03-01T14:05:09Z");
  });

  it("handles leap days, year ends and the epoch", () => {
    for (const iso of [
      "2024-02-29T23:59:59Z",
      "2025-12-31T23:59:59Z",
      "2026-01-01T00:00:00Z",
      "1970-01-01T00:00:00Z",
    ]) {
      expect(fmt.iso(Date.parse(iso) / 1000)).toBe(iso);
    }
    expect(fmt.date(Date.parse("2026-06-30T12:00:00Z") / 1000)).toBe("2026-06-30");
  });
});

describe("civil dates", () => {
  it("round-trip days ↔ dates", () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), (days) => {
        const [y, m, d] = civilDate(days).split("-").map(Number) as [number, number, number];
        expect(daysFromCivil(y, m, d)).toBe(days);
      }),
    );
  });

  it("parses ISO dates to midnight UTC and rejects others", () => {
    expect(parseIsoDate("2026-06-30")).toBe(Date.parse("2026-06-30T00:00:00Z") / 1000);
    expect(() => parseIsoDate("2026-02-30")).toThrow(/no such day/);
    expect(() => parseIsoDate("30.06.2026")).toThrow(/invalid ISO date/);
  });
});
