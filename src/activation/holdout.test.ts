import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { holdoutDraw, isHeldOut, parseHoldout } from "./holdout.js";

const ids = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `C${String(i + from).padStart(7, "0")}`);

/** |observed − expected| within 5 standard deviations of a binomial: a correct hash fails with p < 1e-6. */
function withinBinomial(observed: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p), `${observed} of ${n} at p = ${p}`).toBeLessThan(5 * sd);
}

describe("campaign holdouts", () => {
  it("draws from the SHA-256 of campaign and customer (the first 52 bits as a fraction)", () => {
    for (const id of ["C0000001", "someone", ""]) {
      const h = createHash("sha256").update(`spring\u0000${id}`).digest("hex");
      // The first 13 hex digits are the first 52 bits.
      expect(holdoutDraw("spring", id)).toBe(Number.parseInt(h.slice(0, 13), 16) / 2 ** 52);
    }
  });

  it("holds out the asked share, independently per campaign", () => {
    const people = ids(20_000);
    for (const share of [0.01, 0.1, 0.25, 0.5]) {
      withinBinomial(people.filter((id) => isHeldOut("spring", id, share)).length, people.length, share);
    }
    expect(people.filter((id) => isHeldOut("spring", id, 0)).length).toBe(0);
    // Two campaigns' holdouts overlap as independent draws would: 10% of 10%.
    const both = people.filter((id) => isHeldOut("spring", id, 0.1) && isHeldOut("autumn", id, 0.1));
    withinBinomial(both.length, people.length, 0.01);
    // Draws spread evenly: each tenth of [0, 1) holds a tenth of the people.
    const bins = new Array<number>(10).fill(0);
    for (const id of people) {
      const b = Math.floor(holdoutDraw("spring", id) * 10);
      bins[b] = (bins[b] ?? 0) + 1;
    }
    for (const b of bins) withinBinomial(b, people.length, 0.1);
  });

  it("keeps everyone where they were as people join", () => {
    const first = ids(5_000);
    const held = first.filter((id) => isHeldOut("spring", id, 0.1));
    const grown = [...ids(3_000, 90_000), ...first, ...ids(2_000, 50_000)];
    const heldAfter = grown.filter((id) => isHeldOut("spring", id, 0.1));
    expect(heldAfter.filter((id) => first.includes(id)).sort()).toEqual(held);
  });

  it("reads a percentage from 0% up to, not including, 100%", () => {
    expect([parseHoldout("10%"), parseHoldout(" 2.5 %"), parseHoldout("0%"), parseHoldout("99.9%")]).toEqual([
      0.1, 0.025, 0, 0.999,
    ]);
    expect(() => parseHoldout("100%")).toThrow(
      "--holdout: a holdout is from 0% up to (not including) 100%, got 100%",
    );
    expect(() => parseHoldout("-1%")).toThrow("got -1%");
    expect(() => parseHoldout("0.1")).toThrow(
      '--holdout: "0.1" is not a holdout: write a percentage of the audience, e.g. 10%',
    );
  });
});
