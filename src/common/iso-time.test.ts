import { describe, expect, it } from "vitest";
import { parseIsoTime } from "./iso-time.js";

describe("parseIsoTime", () => {
  it("reads a date as its midnight UTC, a time without an offset as UTC, and an offset as given", () => {
    expect(parseIsoTime("2024-02-29")?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(parseIsoTime("2024-02-29T10:30")?.toISOString()).toBe("2024-02-29T10:30:00.000Z");
    expect(parseIsoTime("2024-03-01T00:30+01:00")?.toISOString()).toBe("2024-02-29T23:30:00.000Z");
  });

  it("refuses days that do not exist, with or without a time, rather than rolling them over", () => {
    for (const v of ["2024-02-30", "2023-02-29", "2024-02-30T10:00", "2024-04-31T00:00:00Z", "yesterday", ""])
      expect(parseIsoTime(v), v).toBeNull();
  });
});
