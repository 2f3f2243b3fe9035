/**
 * Exact rational numbers over BigInt, for the privacy parameters (ε, ρ, noise scales) and the budget ledger.
 * Floating point has no place where noise is sampled or budgets are summed: 0.1 + 0.2 must equal 0.3, and a
 * noise scale must be exactly the one asked for.
 */

/** num/den in lowest terms with den ≥ 1. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num/den reduced, the sign carried by the numerator. */
export function rational(num: bigint | number, den: bigint | number = 1n): Rational {
  let n = BigInt(num);
  let d = BigInt(den);
  if (d === 0n) throw new RangeError("rational: zero denominator");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcd(n, d);
  return g > 1n ? { num: n / g, den: d / g } : { num: n, den: d };
}

export const ZERO: Rational = { num: 0n, den: 1n };

export function add(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function subtract(a: Rational, b: Rational): Rational {
  return rational(a.num * b.den - b.num * a.den, a.den * b.den);
}

export function multiply(a: Rational, b: Rational): Rational {
  return rational(a.num * b.num, a.den * b.den);
}

export function divide(a: Rational, b: Rational): Rational {
  if (b.num === 0n) throw new RangeError("rational: division by zero");
  return rational(a.num * b.den, a.den * b.num);
}

/** −1, 0 or 1 as a is below, equal to or above b. */
export function compare(a: Rational, b: Rational): -1 | 0 | 1 {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/;

/**
 * A finite number as the decimal it prints as, exactly: `String(x)` is the shortest decimal that reads back as x,
 * so a parameter typed as 0.1 becomes exactly 1/10, not the binary double 0.1000000000000000055…. Plain doubles
 * would make a budget of 0.3 refuse spends of 0.1 and 0.2.
 */
export function fromNumber(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError(`rational: ${x} is not finite`);
  const m = DECIMAL.exec(String(x));
  if (!m) throw new RangeError(`rational: cannot read ${String(x)}`);
  const [, sign, whole, fraction = "", exponent = "0"] = m;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  const power = Number(exponent) - fraction.length;
  return power >= 0 ? rational(digits * 10n ** BigInt(power)) : rational(digits, 10n ** BigInt(-power));
}

/** The nearest double, for display and for tests; never for sampling. */
export function toNumber(r: Rational): number {
  // Number(num) / Number(den) is Infinity / Infinity once both exceed 2^1024: scale them down together first.
  const bits = Math.max(r.den.toString(2).length, (r.num < 0n ? -r.num : r.num).toString(2).length);
  const shift = BigInt(Math.max(0, bits - 1000));
  return Number(r.num >> shift) / Number(r.den >> shift);
}

/**
 * For messages: the exact decimal when the denominator divides a power of ten (0.25, 0.1), otherwise the
 * fraction and an approximation ("1/3 ≈ 0.333333").
 */
export function formatRational(r: Rational): string {
  let d = r.den;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  if (d === 1n && Math.max(twos, fives) <= 30) {
    const places = Math.max(twos, fives);
    const scaled = (r.num * 10n ** BigInt(places)) / r.den;
    const negative = scaled < 0n;
    const text = (negative ? -scaled : scaled).toString().padStart(places + 1, "0");
    const whole = text.slice(0, text.length - places);
    const fraction = text.slice(text.length - places).replace(/0+$/, "");
    return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
  }
  return `${r.num}/${r.den} ≈ ${toNumber(r).toPrecision(6)}`;
}
