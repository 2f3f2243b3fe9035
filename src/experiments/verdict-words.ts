import type { Comparison, NotComputable, StatsEngine, Verdict } from "./stats/types.js";

/**
 * A comparison's verdict in a sentence, the same for an experiment's analysis (`says` in its JSON) and for summary
 * numbers an analyst brings (`experiment stats`): what won or lost, by how much, the interval, and the evidence.
 */
export interface VerdictWords {
  readonly engine: StatsEngine;
  readonly sequential: boolean;
  readonly alpha: number;
  /** Whether the p-values were adjusted (then said so). */
  readonly adjusted: boolean;
  /** What the effect is on or against: "on revenue+cuped", "against control". */
  readonly what: string;
  /** How an effect reads: a signed percentage for a relative effect, a signed number for an absolute one. */
  readonly size: (x: number | null) => string;
}

export function verdictSentence(c: Comparison | NotComputable, verdict: Verdict, w: VerdictWords): string {
  if (!c.computable) return `${c.variant}: not computable: ${c.reason}`;
  const level = Math.round((1 - w.alpha) * 100);
  const kind = w.engine === "bayesian" ? "credible" : w.sequential ? "confidence sequence" : "CI";
  const ci = `${level}% ${kind} ${w.size(c.ci[0])} to ${w.size(c.ci[1])}`;
  const evidence =
    w.engine === "bayesian"
      ? `chance to win ${(100 * (c.chance_to_win ?? 0)).toFixed(1)}%`
      : `p = ${formatP(c.p_adjusted ?? c.p ?? 1)}${w.adjusted ? " adjusted" : ""}`;
  const said = `${w.size(c.effect)} ${w.what} (${ci}), ${evidence}`;
  switch (verdict) {
    case "winner":
      return `${c.variant} wins: ${said}`;
    case "loser":
      return `${c.variant} loses: ${said}`;
    case "srm-invalid":
      return `${c.variant}: not to be trusted (sample-ratio mismatch): ${said}`;
    case "not-computable":
      return `${c.variant}: not computable`;
    default:
      return `${c.variant}: inconclusive, ${said}`;
  }
}

/** A relative effect as people read it: "+13.2%", "−2.0%"; an open interval end is "unbounded". */
export function signedPercent(x: number | null): string {
  if (x === null) return "unbounded";
  const v = 100 * x;
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(1)}%`;
}

export function formatP(p: number): string {
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}
