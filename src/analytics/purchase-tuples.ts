/**
 * Calibration summaries as the likelihoods consume them: one entry per distinct (x, t_x, T) (or (x, z̄))
 * with a count, and the distinct time values indexed so that ln(α + t) is computed once per value per
 * evaluation rather than once per customer.
 */

/** BG/NBD input: repeat purchases x, time of the last repeat t_x, observation length T (model units). */
export interface PurchaseTuples {
  readonly x: Float64Array;
  readonly tx: Float64Array;
  readonly T: Float64Array;
  /** How many customers share the tuple (1 for per-customer data). */
  readonly count: Float64Array;
}

/** Gamma-Gamma input: repeat purchases x ≥ 1 and the mean repeat spend z̄ > 0. */
export interface SpendTuples {
  readonly x: Float64Array;
  readonly mean: Float64Array;
  readonly count: Float64Array;
}

/** Distinct values of a column and, for each row, the index of its value. */
export interface Indexed {
  readonly values: Float64Array;
  readonly index: Int32Array;
}

/** Replaces a column by (distinct values, index per row): a handful of values serve many rows. */
export function indexValues(column: Float64Array): Indexed {
  const seen = new Map<number, number>();
  const index = new Int32Array(column.length);
  const values: number[] = [];
  for (let i = 0; i < column.length; i++) {
    const v = column[i] as number;
    let k = seen.get(v);
    if (k === undefined) {
      k = values.length;
      seen.set(v, k);
      values.push(v);
    }
    index[i] = k;
  }
  return { values: Float64Array.from(values), index };
}

/** Sum of the counts: the number of customers the tuples describe. */
export function totalCount(count: Float64Array): number {
  let n = 0;
  for (const c of count) n += c;
  return n;
}

/** Tuples from per-customer arrays (each customer its own tuple, count 1): tests and the baseline. */
export function perCustomer(
  x: ArrayLike<number>,
  tx: ArrayLike<number>,
  T: ArrayLike<number>,
): PurchaseTuples {
  return {
    x: Float64Array.from(x),
    tx: Float64Array.from(tx),
    T: Float64Array.from(T),
    count: new Float64Array(x.length).fill(1),
  };
}
