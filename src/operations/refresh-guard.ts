/**
 * The guard before a segment refresh is recorded at a time past the data's end. Historical data refreshed "now"
 * (or at any time well after its last order or event) empties every windowed segment: the refresh would record
 * mass exits that no customer made, and since a later refresh at the data's own end is then "before the last one",
 * the history could only be backtested from there on. So such a refresh is tried first without recording, and
 * refused when a large share of a segment's members would leave, unless the caller insists (`force`).
 */
import { UserError } from "../errors.js";
import { isSmall, reportMinGroup, suppressedLabel } from "../privacy/k-gate.js";
import { lastRefresh, refreshSegments } from "../segments/segment-refresh.js";
import { currentSizes } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import type { AsOfChoice } from "./as-of.js";

/**
 * A segment "loses most of its members" when its size would fall by at least `share` of what it is, and it has at
 * least `minSize` members now (a segment of 3 losing 2 is noise, not the symptom).
 */
export const MASS_EXIT = { share: 0.5, minSize: 10 } as const;

/** A segment that would shrink by a large share: its size at the last refresh and at the new as-of. */
export interface MassExit {
  readonly id: string;
  readonly before: number;
  readonly after: number;
}

/** What the guard found: how far past the data's end the as-of lies, and the segments that would shrink. */
export interface PastDataEnd {
  readonly dataEnd: string;
  readonly daysPast: number;
  readonly exits: MassExit[];
  /** The k-gate's k: a size under it is said as `<k` in the messages (they leave the system like any report). */
  readonly minGroup: number;
}

const DAY_MS = 86_400_000;

/**
 * When `asOf` lies a day or more past the data's end and the refresh would be recorded (a stored refresh exists, not after it):
 * the segments that would lose a large share of their members, found by evaluating without recording. Null when
 * the as-of is within the data, or nothing has been recorded yet (no member can leave).
 */
export async function pastDataEnd(
  engine: Engine,
  asOf: Date,
  choice: AsOfChoice,
): Promise<PastDataEnd | null> {
  if (choice.dataEnd === null) return null;
  const end = new Date(choice.dataEnd);
  // Within a day of the data's end is a live store's daily refresh (its last events are from today or last
  // night): no trial run for those, only for an as-of that has left the data behind.
  if (asOf.getTime() < end.getTime() + DAY_MS) return null;
  const last = await lastRefresh(engine);
  if (last === null || asOf.getTime() < last.getTime()) return null;
  const before = await currentSizes(engine);
  const trial = await refreshSegments(engine, { asOf, record: false });
  const exits: MassExit[] = [];
  for (const s of trial.segments) {
    const was = before.get(s.id) ?? 0;
    if (was >= MASS_EXIT.minSize && was - s.size >= MASS_EXIT.share * was)
      exits.push({ id: s.id, before: was, after: s.size });
  }
  return {
    dataEnd: choice.dataEnd,
    daysPast: Math.floor((asOf.getTime() - end.getTime()) / DAY_MS),
    exits,
    minGroup: await reportMinGroup(engine),
  };
}

/**
 * The exits in words: `vip 1,234 → 0 (−100%)`. A size under k is `<k`, and the share is left out with it (with
 * the other size it would give the hidden one back); so is one whose fall is under k (the difference is a group).
 */
function describe(exits: readonly MassExit[], k: number): string {
  const n = (x: number) => (isSmall(x, k) ? suppressedLabel(k) : x.toLocaleString("en-US"));
  return exits
    .map((e) => {
      const hidden = isSmall(e.before, k) || isSmall(e.after, k) || isSmall(e.before - e.after, k);
      const fall = `(−${Math.round((100 * (e.before - e.after)) / e.before)}%)`;
      return hidden
        ? `${e.id} ${n(e.before)} → ${n(e.after)}`
        : `${e.id} ${n(e.before)} → ${n(e.after)} ${fall}`;
    })
    .join(", ");
}

/** The refusal: where the data end, which segments would empty, and the two ways on. */
export function massExitError(asOf: Date, found: PastDataEnd): UserError {
  const day = found.dataEnd.slice(0, 10);
  return new UserError(
    "as-of-after-data",
    `as of ${asOf.toISOString()} is ${found.daysPast.toLocaleString("en-US")} day(s) past the data's end (${found.dataEnd}): ` +
      `${found.exits.length} segment(s) would lose most of their members (${describe(found.exits, found.minGroup)}), ` +
      `exits no customer made. Nothing was recorded. Refresh as of the data's end (leave out --as-of, or --as-of ${day}), ` +
      "or add --force to record it anyway",
    "segment refresh",
  );
}

/** The warning a refresh forced past the refusal carries. */
export function pastDataEndWarning(found: PastDataEnd): string {
  const head = `the as-of is ${found.daysPast.toLocaleString("en-US")} day(s) past the data's end (${found.dataEnd})`;
  return `${head}: recorded with --force although ${describe(found.exits, found.minGroup)}`;
}
