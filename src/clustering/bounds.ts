import { sqDist } from "./matrix.js";

/** Relative margin on the bounds, so that rounding never lets a bound skip a point Lloyd would move. */
export const EPS = 1e-10;

/**
 * Fills `half` (k × k) with half the distance between every pair of centres (shrunk by the margin), and its
 * diagonal with each centre's half-distance to its nearest other centre: the tests of Elkan's and Hamerly's
 * assignment steps both start from this table.
 */
export function fillHalfCentreDistances(
  centers: Float64Array,
  k: number,
  d: number,
  half: Float64Array,
): void {
  for (let a = 0; a < k; a++) {
    let m = Number.POSITIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      if (j === a) continue;
      const h = 0.5 * Math.sqrt(sqDist(centers, a, centers, j, d)) * (1 - EPS);
      half[a * k + j] = h;
      if (h < m) m = h;
    }
    half[a * k + a] = m;
  }
}
