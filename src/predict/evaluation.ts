/**
 * How well scores rank and how well probabilities are calibrated: AUC, a decile calibration curve and the lift
 * in the top decile. Shared by churn risk and launch propensity; everything on typed arrays.
 */
import { isSmall } from "../privacy/k-gate.js";

/** Indices of `scores` in ascending order of score (ties in index order: a stable sort). */
function ascending(scores: Float64Array): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (scores[a] as number) - (scores[b] as number) || a - b);
  return order;
}

/**
 * The area under the ROC curve: P(score of a random positive > score of a random negative), ties counting ½ —
 * the Mann–Whitney U over the mid-ranks. Null when either class is empty.
 */
export function auc(scores: Float64Array, labels: Uint8Array): number | null {
  const n = scores.length;
  const order = ascending(scores);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    const s = scores[order[start] as number] as number;
    while (end + 1 < n && scores[order[end + 1] as number] === s) end++;
    const midRank = (start + end) / 2 + 1;
    for (let t = start; t <= end; t++) {
      if (labels[order[t] as number] === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** One bin of a calibration curve: its customers, mean predicted probability and observed rate. */
export interface CalibrationBin {
  readonly bin: number;
  /** Null when the bin holds fewer than k people (the k-gate). */
  readonly customers: number | null;
  readonly meanPredicted: number | null;
  readonly observedRate: number | null;
}

/**
 * Deciles (or `bins` equal-count groups) by predicted probability, lowest first: mean predicted vs observed rate.
 * Bins of fewer than `minGroup` people are suppressed (with ≥ 10·k customers, none is).
 */
export function calibrationCurve(
  predicted: Float64Array,
  labels: Uint8Array,
  bins = 10,
  minGroup = 1,
): CalibrationBin[] {
  const n = predicted.length;
  const order = ascending(predicted);
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor((b * n) / bins);
    const hi = Math.floor(((b + 1) * n) / bins);
    let sumP = 0;
    let pos = 0;
    for (let t = lo; t < hi; t++) {
      const i = order[t] as number;
      sumP += predicted[i] as number;
      pos += labels[i] as number;
    }
    const size = hi - lo;
    const hidden = isSmall(size, minGroup);
    out.push({
      bin: b + 1,
      customers: hidden ? null : size,
      meanPredicted: hidden || size === 0 ? null : sumP / size,
      observedRate: hidden || size === 0 ? null : pos / size,
    });
  }
  return out;
}

/**
 * The positive rate among the top `share` of customers by score, over the overall rate (the lift); ties at the cut
 * are broken by index order, so a constant score has lift ≈ 1. Null with no positives.
 */
export function liftAtTop(scores: Float64Array, labels: Uint8Array, share = 0.1): number | null {
  const n = scores.length;
  const order = ascending(scores);
  const top = Math.max(1, Math.round(n * share));
  let all = 0;
  for (let i = 0; i < n; i++) all += labels[i] as number;
  if (all === 0 || n === 0) return null;
  let hits = 0;
  for (let t = n - top; t < n; t++) hits += labels[order[t] as number] as number;
  return hits / top / (all / n);
}

/** What every evaluation reports of one scorer. */
export interface ScoreQuality {
  readonly auc: number | null;
  readonly liftTopDecile: number | null;
}

export function scoreQuality(scores: Float64Array, labels: Uint8Array): ScoreQuality {
  return { auc: auc(scores, labels), liftTopDecile: liftAtTop(scores, labels, 0.1) };
}

/** Mean log-loss and Brier score of probabilities. */
export function probabilityScores(p: Float64Array, labels: Uint8Array): { logLoss: number; brier: number } {
  let ll = 0;
  let brier = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-12, Math.max(1e-12, p[i] as number));
    const y = labels[i] as number;
    ll -= y * Math.log(q) + (1 - y) * Math.log(1 - q);
    brier += (q - y) ** 2;
  }
  return { logLoss: ll / Math.max(1, p.length), brier: brier / Math.max(1, p.length) };
}
