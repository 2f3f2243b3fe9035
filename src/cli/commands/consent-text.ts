import type { LeftOut } from "../../privacy/consent-gate.js";

/** A k-gated count as a person reads it: the number, or "fewer than k" when the k-gate hid it. */
function count(n: number | null): string {
  return n === null ? "a few (too few to show)" : String(n);
}

/** The line that says how many people the consent gate left out of a list, and why. */
export function leftOutLine(r: { purpose: string; channel: string; leftOut: LeftOut }): string {
  return `left out: ${count(r.leftOut.noConsent)} without consent to ${r.purpose} by ${r.channel}, ${count(r.leftOut.suppressionList)} on the suppression list`;
}
