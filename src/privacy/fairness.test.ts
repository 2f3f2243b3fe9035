import { describe, expect, it } from "vitest";
import { fairnessSuppression } from "./fairness.js";

const cells = (rows: [number, number][]) => rows.map(([people, members]) => ({ people, members }));

describe("fairness suppression (k = 10)", () => {
  it("shows every figure when no cell of people, members or the rest is under k", () => {
    expect(
      fairnessSuppression(
        cells([
          [30, 10],
          [60, 30],
          [30, 11],
        ]),
        10,
        false,
      ),
    ).toEqual({
      peopleHidden: [false, false, false],
      membersHidden: [false, false, false],
    });
  });

  it("hides the members of a value whose non-members are few, and another so the segment's total gives neither", () => {
    // Rest: 5 and 20. Hiding 25 alone leaves it as the segment minus 10: 10 is hidden too.
    expect(
      fairnessSuppression(
        cells([
          [30, 25],
          [30, 10],
        ]),
        10,
        false,
      ),
    ).toEqual({
      peopleHidden: [false, false],
      membersHidden: [true, true],
    });
  });

  it("hides a small value's people and the next smallest, whose members go with them", () => {
    expect(
      fairnessSuppression(
        cells([
          [40, 20],
          [50, 15],
          [6, 2],
          [24, 14],
        ]),
        10,
        false,
      ),
    ).toEqual({
      peopleHidden: [false, false, true, true],
      membersHidden: [false, false, true, true],
    });
  });

  it("hides every member figure when the segment's size is itself suppressed", () => {
    expect(
      fairnessSuppression(
        cells([
          [30, 3],
          [30, 4],
        ]),
        10,
        true,
      ),
    ).toEqual({
      peopleHidden: [false, false],
      membersHidden: [true, true],
    });
  });

  it("hides everything when a column cannot be protected (fewer than k people in all)", () => {
    expect(
      fairnessSuppression(
        cells([
          [3, 1],
          [4, 2],
        ]),
        10,
        false,
      ),
    ).toEqual({
      peopleHidden: [true, true],
      membersHidden: [true, true],
    });
    // All members in one value, with 5 non-members there: nothing else to hide in the members' column.
    expect(
      fairnessSuppression(
        cells([
          [20, 0],
          [20, 15],
        ]),
        10,
        false,
      ),
    ).toEqual({
      peopleHidden: [true, true],
      membersHidden: [true, true],
    });
  });
});
