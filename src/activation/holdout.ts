import { createHash } from "node:crypto";
import { UserError } from "../errors.js";

/**
 * A campaign's holdout (issue 18, item 3): a share of its audience that gets nothing, so that what the campaign
 * did can be measured against people like them who were not sent it. Who is held out is a function of the
 * campaign's id and the person's id alone (a hash, DESIGN.md principle 6): the same person is held out on every
 * send of the campaign, and people joining the audience never move those already assigned.
 */

/**
 * Reads `--holdout`: a percentage of the audience (`10%`, `2.5%`), from 0% up to (not including) 100%: a campaign
 * that holds everyone out sends nothing. Returns the share (0.1). `where` names the option or field in errors.
 */
export function parseHoldout(text: string, where = "--holdout"): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (!m)
    throw new UserError(
      "bad-holdout",
      `"${text}" is not a holdout: write a percentage of the audience, e.g. 10%`,
      where,
    );
  // Read as the decimal it is written as (99.9% is 0.999, not 99.9 / 100 = 0.9990000000000001).
  return checkHoldout(Number(`${m[1]}e-2`), where, text.trim());
}

/** A holdout share, checked: 0 ≤ share < 1. */
export function checkHoldout(share: number, where = "--holdout", text = holdoutText(share)): number {
  if (!Number.isFinite(share) || share < 0 || share >= 1)
    throw new UserError("bad-holdout", `a holdout is from 0% up to (not including) 100%, got ${text}`, where);
  return share;
}

/** A share as `--holdout` writes it: 0.1 → "10%". */
export function holdoutText(share: number): string {
  return `${Math.round(share * 10000) / 100}%`;
}

const TWO_POW_52 = 2 ** 52;

/**
 * Where a person falls in a campaign's holdout draw: a number uniform in [0, 1), from the SHA-256 of the campaign
 * id and the customer id (their first 52 bits). A person is held out when it is below the holdout share.
 */
export function holdoutDraw(campaignId: string, customerId: string): number {
  const digest = createHash("sha256").update(`${campaignId}\u0000${customerId}`, "utf8").digest();
  // 52 bits: exactly representable as a double, so the draw is the same number everywhere.
  const high = digest.readUInt32BE(0);
  const low = digest.readUInt32BE(4) >>> 12;
  return (high * 2 ** 20 + low) / TWO_POW_52;
}

/** Whether a person is in a campaign's holdout. */
export function isHeldOut(campaignId: string, customerId: string, share: number): boolean {
  return share > 0 && holdoutDraw(campaignId, customerId) < share;
}
