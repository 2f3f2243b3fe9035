import { describe, expect, it } from "vitest";
import { parseFrequencyCap } from "./frequency-cap.js";

describe("frequency caps", () => {
  it("reads N/PERIOD in hours, days or weeks", () => {
    expect(parseFrequencyCap("2/7d")).toEqual({ count: 2, hours: 168, text: "2/7d" });
    expect(parseFrequencyCap(" 1 / 24h ")).toEqual({ count: 1, hours: 24, text: "1/24h" });
    expect(parseFrequencyCap("3/2w")).toEqual({ count: 3, hours: 336, text: "3/2w" });
  });

  it("refuses what does not parse, naming the option", () => {
    for (const [text, message] of [
      ["2 per week", '--frequency-cap: "2 per week" is not a frequency cap: write N/PERIOD, e.g. 2/7d'],
      ["2/7", '"2/7" is not a frequency cap'],
      ["2/7m", '"2/7m" is not a frequency cap'],
      ["-1/7d", '"-1/7d" is not a frequency cap'],
      ["0/7d", "a cap of 0 messages sends nothing"],
      ["2/0d", 'the period of "2/0d" is empty'],
      ["2/400d", 'the period of "2/400d" is over a year'],
    ] as const)
      expect(() => parseFrequencyCap(text), text).toThrow(message);
    expect(() => parseFrequencyCap("x", "frequencyCap")).toThrow(/^frequencyCap: /);
  });
});
