import { describe, expect, it } from "vitest";
import { charShares, rareTail, shortestNeedles } from "./needles.js";

describe("shortestNeedles", () => {
  it("keeps only needles that hold no other: a text holding the longer one holds the shorter", () => {
    expect(shortestNeedles(["C0000042", "user-C0000042", "a@b.example", "C0000042"])).toEqual([
      "C0000042",
      "a@b.example",
    ]);
    expect(shortestNeedles(["anon:anon-9b67", "anon-9b67", "+33612345678"])).toEqual([
      "anon-9b67",
      "+33612345678",
    ]);
  });

  it("answers 'does the text hold any' as the whole list does, for text and bytes", () => {
    const needles = ["C0000042", "user-C0000042", "é-C0000042", "x@y.example", "ab", "zab"];
    const kept = shortestNeedles(needles);
    for (const text of ["…user-C0000042…", "zab", "nothing here", "é-C000004", "x@y.example"]) {
      expect(kept.some((n) => text.includes(n))).toBe(needles.some((n) => text.includes(n)));
      const bytes = Buffer.from(text);
      expect(shortestNeedles(needles.map((n) => Buffer.from(n))).some((n) => bytes.includes(n))).toBe(
        needles.some((n) => text.includes(n)),
      );
    }
  });
});

describe("rareTail", () => {
  const share = charShares([
    '{"os":"android","channel":"search"}',
    '{"os":"ios","url":"/c/shoes"}',
    '{"n":7}',
  ]);

  it("measures the share of texts holding each character", () => {
    expect(share("o")).toBeCloseTo(2 / 3);
    expect(share("a")).toBeCloseTo(1 / 3);
    expect(share("7")).toBeCloseTo(1 / 3);
    expect(share("Z")).toBe(0);
  });

  it("starts at the character fewest texts hold, keeping at least `keep` characters, the longest such tail", () => {
    // "a" (1/3), "n" (2/3), "o" (2/3), "-" (0): the tail from the "-", which leaves 8 characters or more.
    expect(rareTail("anon-9b67fa0dc6", share, 8)).toBe("-9b67fa0dc6");
    // Every start is as rare ("9", "b", "6"… none held): the whole needle.
    expect(rareTail("9b67fa0dc64", charShares([]), 8)).toBe("9b67fa0dc64");
    // A needle no longer than `keep` is searched whole; the last possible start is len − keep.
    expect(rareTail("abcdefgh", share, 8)).toBe("abcdefgh");
    expect(rareTail("aaaaaaaaZ", share, 8)).toBe("aaaaaaaaZ");
    expect(rareTail("ooZoooooooo", share, 8)).toBe("Zoooooooo");
  });
});
