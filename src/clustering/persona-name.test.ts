import { describe, expect, it } from "vitest";
import { daypart, humanize, personaName } from "./persona-name.js";

describe("persona names", () => {
  it("says what stands out, strongest first", () => {
    expect(
      personaName({
        differences: [
          { feature: "trait:income", difference: 1.4, mean: 120 },
          { feature: "orders.revenue", difference: -0.9, mean: 20 },
          { feature: "events.count", difference: 0.1, mean: 3 },
        ],
        ageRange: [36, 48],
        mobileShare: 0.8,
      }),
    ).toBe("High income, low spend, 35–50, mostly mobile");
  });

  it("falls back to typical customers when nothing stands out", () => {
    expect(personaName({ differences: [{ feature: "trait:x", difference: 0.2, mean: 1 }] })).toBe(
      "Typical customers",
    );
  });

  it("humanises feature names and parts of the day", () => {
    expect(humanize("trait:annual_income_k")).toBe("annual income");
    expect(humanize("trait:spending_score_1_100")).toBe("spending score");
    expect(humanize("events.category_share:outdoor")).toBe("outdoor share");
    expect(daypart(6.2)).toBe("early birds");
    expect(daypart(23.3)).toBe("night owls");
    expect(daypart(13)).toBe("lunchtime");
  });
});
