import { describe, expect, it } from "vitest";
import {
  add,
  compare,
  divide,
  formatRational,
  fromNumber,
  multiply,
  rational,
  subtract,
  toNumber,
} from "./rational.js";

describe("rationals", () => {
  it("are kept in lowest terms with a positive denominator", () => {
    expect(rational(6, -4)).toEqual({ num: -3n, den: 2n });
    expect(rational(0, 5)).toEqual({ num: 0n, den: 1n });
    expect(() => rational(1, 0)).toThrow(RangeError);
  });

  it("add, subtract, multiply, divide and compare exactly", () => {
    const third = rational(1, 3);
    expect(add(third, rational(1, 6))).toEqual(rational(1, 2));
    expect(subtract(third, third)).toEqual(rational(0));
    expect(multiply(third, rational(3, 5))).toEqual(rational(1, 5));
    expect(divide(rational(1), rational(1, 10))).toEqual(rational(10));
    expect(compare(third, rational(333, 1000))).toBe(1);
    expect(compare(rational(2, 4), rational(1, 2))).toBe(0);
    expect(() => divide(third, rational(0))).toThrow(RangeError);
  });

  it("read a number as the decimal it prints as, so 0.1 + 0.2 is exactly 0.3", () => {
    expect(fromNumber(0.1)).toEqual(rational(1, 10));
    expect(add(fromNumber(0.1), fromNumber(0.2))).toEqual(fromNumber(0.3));
    expect(fromNumber(1e-7)).toEqual(rational(1, 10_000_000));
    expect(fromNumber(2.5e-7)).toEqual(rational(1, 4_000_000));
    expect(fromNumber(1.5e21)).toEqual(rational(1_500_000_000_000_000_000_000n));
    expect(fromNumber(-2.5)).toEqual(rational(-5, 2));
    expect(fromNumber(42)).toEqual(rational(42));
    expect(fromNumber(1 / 3)).toEqual(rational(3_333_333_333_333_333n, 10n ** 16n));
    expect(() => fromNumber(Number.NaN)).toThrow(RangeError);
    expect(() => fromNumber(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });

  it("format as exact decimals where they terminate, as fractions otherwise", () => {
    expect(formatRational(rational(1, 10))).toBe("0.1");
    expect(formatRational(rational(-5, 4))).toBe("-1.25");
    expect(formatRational(rational(3))).toBe("3");
    expect(formatRational(rational(1, 1_000_000))).toBe("0.000001");
    expect(formatRational(rational(1, 3))).toBe("1/3 ≈ 0.333333");
  });

  it("convert to the nearest double, even with huge numerators and denominators", () => {
    expect(toNumber(rational(1, 3))).toBe(1 / 3);
    expect(toNumber(rational(10n ** 400n, 3n * 10n ** 400n))).toBeCloseTo(1 / 3, 15);
  });
});
