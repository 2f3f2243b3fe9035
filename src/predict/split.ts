/** A deterministic, seeded split of customers by a hash of their id (FNV-1a), the same on every run. */

/** Share of customers held out for calibration. */
export const CALIBRATION_SHARE = 0.2;

/** True for the ~20% of customers whose seeded hash puts them in the calibration part. */
export function inCalibrationPart(id: string, seed: number): boolean {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so that ids differing in the last character spread evenly.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296 < CALIBRATION_SHARE;
}
