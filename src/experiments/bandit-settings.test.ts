import { describe, expect, it } from "vitest";
import { banditSettingsOf, parseInterval, parseMinShare } from "./bandit-settings.js";

describe("bandit settings", () => {
  it("reads intervals in hours, days and weeks, from 1 hour to 52 weeks", () => {
    expect(parseInterval("12h")).toBe(12 * 3_600_000);
    expect(parseInterval("1d")).toBe(86_400_000);
    expect(parseInterval(" 2w ")).toBe(14 * 86_400_000);
    for (const bad of ["", "1", "0h", "30m", "53w", "-1d", "1 day"])
      expect(() => parseInterval(bad, "--update-every")).toThrow(/--update-every/);
  });

  it("reads a minimum share as a percentage or a fraction, at most 1/arms", () => {
    expect(parseMinShare("10%")).toBeCloseTo(0.1, 15);
    expect(parseMinShare("0.05")).toBe(0.05);
    expect(parseMinShare(0.25, "--min-share", 4)).toBe(0.25);
    expect(() => parseMinShare("34%", "--min-share", 3)).toThrow(/from 0 to 1\/3/);
    for (const bad of ["x", "-5%", "100%", "1"]) expect(() => parseMinShare(bad)).toThrow(/--min-share/);
  });

  it("reads the stored JSON with its defaults; null is a fixed split", () => {
    expect(banditSettingsOf(null)).toBeNull();
    expect(banditSettingsOf("null")).toBeNull();
    expect(banditSettingsOf("{}")).toEqual({ min_share: 0.1, update_every: "1d" });
    expect(banditSettingsOf({ min_share: 0.2, update_every: "12h", metric: "conversion:7d" })).toEqual({
      min_share: 0.2,
      update_every: "12h",
      metric: "conversion:7d",
    });
    expect(() => banditSettingsOf({ min_share: 2 })).toThrow(/bandit settings/);
    expect(() => banditSettingsOf({ update_every: "soon" })).toThrow(/bandit settings/);
  });
});
