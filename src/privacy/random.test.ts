import { describe, expect, it } from "vitest";
import {
  bernoulli,
  CryptoRandomSource,
  fairCoin,
  type RandomSource,
  secureRandom,
  seededRandomSource,
  uniformBelow,
  uniformBelowUint32,
} from "./random.js";
import { checkChiSquare, checkProportion } from "./test-statistics.js";

function scripted(words: number[]): RandomSource {
  let i = 0;
  return {
    nextUint32: () => {
      if (i >= words.length) throw new Error("out of words");
      return words[i++] as number;
    },
  };
}

const words = (source: RandomSource, n: number): number[] =>
  Array.from({ length: n }, () => source.nextUint32());

describe("uniform integers by rejection", () => {
  it("below 3, the one word past the last multiple of 3 (2^32 − 1) is drawn again", () => {
    expect(uniformBelowUint32(scripted([0xffffffff, 4]), 3)).toBe(1);
    expect(uniformBelowUint32(scripted([0xfffffffe]), 3)).toBe(0xfffffffe % 3);
  });

  it("below 2^32 and below 1 take one word as it is", () => {
    expect(uniformBelowUint32(scripted([0xffffffff]), 2 ** 32)).toBe(0xffffffff);
    expect(uniformBelowUint32(scripted([12345]), 1)).toBe(0);
  });

  it("below 2^32 + 1, two words with the high one masked to one bit; ≥ n is drawn again", () => {
    // High word 0xffffffff masked to 1, low word 5: 2^32 + 5 ≥ n, rejected; then 0 and 7 give 7.
    expect(uniformBelow(scripted([0xffffffff, 5, 0, 7]), 2n ** 32n + 1n)).toBe(7n);
    expect(uniformBelow(scripted([1, 0]), 2n ** 32n + 1n)).toBe(2n ** 32n);
  });

  it("below 2^64, two full words, the high one unsigned", () => {
    expect(uniformBelow(scripted([0xffffffff, 0xffffffff]), 2n ** 64n)).toBe(2n ** 64n - 1n);
  });

  it("refuses bounds that are not positive integers (bugs)", () => {
    expect(() => uniformBelowUint32(secureRandom, 0)).toThrow(RangeError);
    expect(() => uniformBelowUint32(secureRandom, 2.5)).toThrow(RangeError);
    expect(() => uniformBelowUint32(secureRandom, 2 ** 32 + 1)).toThrow(RangeError);
    expect(() => uniformBelow(secureRandom, 0n)).toThrow(RangeError);
    expect(() => bernoulli(secureRandom, 3n, 2n)).toThrow(RangeError);
  });

  it("is uniform below 6 and below 3·2^32 + 1 (by residue mod 10), with the cryptographic source", () => {
    const n = 120_000;
    const six = new Float64Array(n);
    for (let i = 0; i < n; i++) six[i] = uniformBelowUint32(secureRandom, 6);
    const r6 = checkChiSquare(six, { radius: 6, pmf: (x) => (x >= 0 && x < 6 ? 1 / 6 : 0) });
    expect(r6.ok, r6.detail).toBe(true);

    // An upper bound just past a word boundary: the high word is masked to 2 bits and a quarter of draws rejected.
    const big = 3n * 2n ** 32n + 1n;
    const residues = new Float64Array(n);
    for (let i = 0; i < n; i++) residues[i] = Number(uniformBelow(secureRandom, big) % 10n);
    const mass = (r: number): number =>
      r < 0 || r > 9 ? 0 : Number((big - 1n - BigInt(r)) / 10n + 1n) / Number(big);
    const rb = checkChiSquare(residues, { radius: 10, pmf: mass });
    expect(rb.ok, rb.detail).toBe(true);
  });

  it("Bernoulli(1/3) and the fair coin have the right frequencies", () => {
    const n = 100_000;
    let hits = 0;
    let heads = 0;
    for (let i = 0; i < n; i++) {
      if (bernoulli(secureRandom, 1n, 3n)) hits++;
      if (fairCoin(secureRandom)) heads++;
    }
    const r1 = checkProportion(hits, n, 1 / 3);
    expect(r1.ok, r1.detail).toBe(true);
    const r2 = checkProportion(heads, n, 1 / 2);
    expect(r2.ok, r2.detail).toBe(true);
  });
});

describe("sources", () => {
  it("a seeded source replays its words; another seed gives others", () => {
    expect(words(seededRandomSource(42), 16)).toEqual(words(seededRandomSource(42), 16));
    expect(words(seededRandomSource(42), 16)).not.toEqual(words(seededRandomSource(43), 16));
    for (const w of words(seededRandomSource(7), 1000))
      expect(w >= 0 && w < 2 ** 32 && Number.isInteger(w)).toBe(true);
  });

  it("the cryptographic source is not reproducible: two sources, or two runs, never repeat (the seed exception)", () => {
    // Noise that could be replayed could be subtracted. 64 words repeating by chance has probability 2^−2048.
    expect(words(new CryptoRandomSource(), 64)).not.toEqual(words(new CryptoRandomSource(), 64));
    expect(words(secureRandom, 64)).not.toEqual(words(secureRandom, 64));
  });

  it("the cryptographic source refills its pool past 4096 words and stays in range", () => {
    const source = new CryptoRandomSource();
    const distinct = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const w = source.nextUint32();
      if (!(w >= 0 && w < 2 ** 32 && Number.isInteger(w))) throw new Error(`bad word ${w}`);
      distinct.add(w);
    }
    // 10 000 uniform 32-bit words hold about 0.01 repeated pairs on average (more than 10 with probability
    // below 1e-26); a pool served twice would repeat thousands.
    expect(distinct.size).toBeGreaterThan(9_990);
  });
});
