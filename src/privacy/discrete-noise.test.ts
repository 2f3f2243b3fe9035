import { describe, expect, it } from "vitest";
import { bernoulliExp, floorSqrt, sampleDiscreteGaussian, sampleDiscreteLaplace } from "./discrete-noise.js";
import { type RandomSource, secureRandom, seededRandomSource } from "./random.js";
import { rational } from "./rational.js";
import { checkProportion } from "./test-statistics.js";

/** A source that plays back given words and fails the test if the sampler asks for more. */
function scripted(words: number[]): RandomSource & { readonly left: number } {
  let i = 0;
  return {
    nextUint32() {
      if (i >= words.length) throw new Error(`the sampler asked for word ${i + 1} of ${words.length}`);
      return words[i++] as number;
    },
    get left() {
      return words.length - i;
    },
  };
}

describe("Bernoulli(exp(−γ)), hand-checked", () => {
  it("γ = 1/2: A₁ = 1 (word 0 mod 2 < 1), A₂ = 0 (word 3 mod 4 ≥ 1), so K = 2 is even and the trial fails", () => {
    const source = scripted([0, 3]);
    expect(bernoulliExp(source, 1n, 2n)).toBe(false);
    expect(source.left).toBe(0);
  });

  it("γ = 1/2: A₁ = 0 at once, so K = 1 is odd and the trial succeeds", () => {
    const source = scripted([1]);
    expect(bernoulliExp(source, 1n, 2n)).toBe(true);
    expect(source.left).toBe(0);
  });

  it("γ = 0 always succeeds; γ = 5/2 stops at the first failed exp(−1) factor", () => {
    expect(bernoulliExp(scripted([7]), 0n, 1n)).toBe(true);
    // First exp(−1) factor: Bernoulli(1/1) always 1 (one word), then Bernoulli(1/2) with word 1 → 1 mod 2 ≠ 0,
    // so K = 2 is even: the factor fails and the whole trial fails without drawing more.
    const source = scripted([9, 1]);
    expect(bernoulliExp(source, 5n, 2n)).toBe(false);
    expect(source.left).toBe(0);
  });

  it("refuses a negative γ or a zero denominator (bugs, not user errors)", () => {
    expect(() => bernoulliExp(secureRandom, -1n, 2n)).toThrow(RangeError);
    expect(() => bernoulliExp(secureRandom, 1n, 0n)).toThrow(RangeError);
  });
});

describe("discrete Laplace, hand-checked", () => {
  it("scale 1, traced word by word to −1", () => {
    const source = scripted([
      5, // U uniform below 1: 0 whatever the word
      5, // keep U with probability exp(−0/1): Bernoulli(0/1) is 0, K = 1, kept
      5, // V: first exp(−1) trial, Bernoulli(1/1) → 1
      0, //    Bernoulli(1/2): 0 mod 2 = 0 → 1
      1, //    Bernoulli(1/3): 1 mod 3 ≠ 0 → stop at K = 3, odd: success, V = 1
      5, //    second exp(−1) trial, Bernoulli(1/1) → 1
      1, //    Bernoulli(1/2): 1 mod 2 ≠ 0 → stop at K = 2, even: failure, V stays 1
      0x80000000, // sign: top bit set → negative; magnitude ⌊(0 + 1·1)/1⌋ = 1
    ]);
    expect(sampleDiscreteLaplace(source, rational(1))).toBe(-1n);
    expect(source.left).toBe(0);
  });

  it("rejects −0 and draws again, so 0 is not counted twice", () => {
    const source = scripted([
      5, // U = 0
      5, // kept
      5, // V: Bernoulli(1/1) → 1
      1, //    Bernoulli(1/2) → 0: K = 2, even: V = 0
      0x80000000, // negative and magnitude 0: rejected, start again
      5,
      5,
      5,
      1, // V = 0 again
      0, // positive: +0
    ]);
    expect(sampleDiscreteLaplace(source, rational(1))).toBe(0n);
    expect(source.left).toBe(0);
  });

  it("refuses a scale ≤ 0", () => {
    expect(() => sampleDiscreteLaplace(secureRandom, rational(0))).toThrow(RangeError);
    expect(() => sampleDiscreteLaplace(secureRandom, rational(-1, 2))).toThrow(RangeError);
  });
});

describe("discrete Gaussian", () => {
  it("σ² = 1 (t = 2): a Laplace candidate 0 is kept with probability exp(−(0 − 1/2)²/2) = exp(−1/8)", () => {
    // Laplace(2): U below 2 (word 0 → 0), kept (γ = 0/2 → one word), V = 0 (words 5, 1), sign + (0) → Y = 0.
    // Acceptance: γ = (0·1·2 − 1)² / (2·1·1·4) = 1/8; Bernoulli(1/8): word 7 mod 8 = 7 ≥ 1 → K = 1, odd: kept.
    const source = scripted([0, 5, 5, 1, 0, 7]);
    expect(sampleDiscreteGaussian(source, rational(1))).toBe(0n);
    expect(source.left).toBe(0);
  });

  it("refuses σ² ≤ 0", () => {
    expect(() => sampleDiscreteGaussian(secureRandom, rational(0))).toThrow(RangeError);
  });
});

describe("seeded source: reproducible runs of the algorithms", () => {
  const draw = (seed: number): bigint[] => {
    const source = seededRandomSource(seed);
    return Array.from({ length: 50 }, (_, i) =>
      i % 2 === 0
        ? sampleDiscreteLaplace(source, rational(10, 3))
        : sampleDiscreteGaussian(source, rational(5, 2)),
    );
  };

  it("the same seed gives the same draws; another seed other draws", () => {
    expect(draw(17)).toEqual(draw(17));
    expect(draw(17)).not.toEqual(draw(18));
  });
});

describe("floorSqrt", () => {
  it("matches ⌊√n⌋ for every n up to 100 000, and at k² − 1, k², k² + 1 for large k", () => {
    for (let n = 0; n <= 100_000; n++) {
      if (floorSqrt(BigInt(n)) !== BigInt(Math.floor(Math.sqrt(n)))) throw new Error(`floorSqrt(${n})`);
    }
    for (const k of [2n ** 40n + 3n, 10n ** 30n + 7n, 3n ** 100n]) {
      expect(floorSqrt(k * k - 1n)).toBe(k - 1n);
      expect(floorSqrt(k * k)).toBe(k);
      expect(floorSqrt(k * k + 1n)).toBe(k);
    }
  });
});

describe("Bernoulli(exp(−γ)) frequencies against exp(−γ) (cryptographic source)", () => {
  // 200 000 trials each; the Chernoff–Hoeffding check fails a correct sampler with probability ≤ 1e-8, and at
  // this size it catches a probability off by about 0.006 (or by 15% of a tail as small as e^−7).
  const N = 200_000;
  const cases: [bigint, bigint][] = [
    [1n, 3n],
    [1n, 1n],
    [3n, 2n],
    [7n, 3n],
    [5n, 1n],
    [7n, 1n],
  ];

  for (const [num, den] of cases) {
    it(`γ = ${num}/${den}`, () => {
      let hits = 0;
      for (let i = 0; i < N; i++) if (bernoulliExp(secureRandom, num, den)) hits++;
      const r = checkProportion(hits, N, Math.exp(-Number(num) / Number(den)));
      expect(r.ok, r.detail).toBe(true);
    });
  }

  it("γ = 0 succeeds every time", () => {
    for (let i = 0; i < 10_000; i++)
      if (!bernoulliExp(secureRandom, 0n, 7n)) throw new Error("failed at γ = 0");
  });
});
