import { afterEach, describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { matchingRows } from "./erase-match.js";
import { openSession } from "./open-store.js";
import { sql } from "./sql.js";
import type { Session } from "./store.js";

let session: Session | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

describe("matchingRows", () => {
  it("selects each row where any column holds one of its values, once, by a value each or by a list", async () => {
    session = await openSession(TEST_ENGINES[0]?.location() as string);
    const s = session;
    await s.run(
      "CREATE TABLE t AS SELECT i, 'c' || (i % 50)::VARCHAR AS a, 'u' || (i % 7)::VARCHAR AS b FROM range(400) r(i)",
    );
    const a = ["c1", "c2", "c3"]; // a query per value
    const b = Array.from({ length: 12 }, (_, i) => `u${i}`).filter((x) => x !== "u4"); // 11: one list
    const q = matchingRows(
      "t",
      [
        { column: "a", values: a },
        { column: "b", values: b },
        { column: "a", values: [] },
      ],
      sql`i`,
      sql`UNION`,
    );
    const got = (await s.query(sql`SELECT i FROM (${q}) x ORDER BY i`)).column("i").map(Number);
    const expected = Array.from({ length: 400 }, (_, i) => i).filter(
      (i) => a.includes(`c${i % 50}`) || b.includes(`u${i % 7}`),
    );
    expect(got).toEqual(expected);
    expect(matchingRows("t", [{ column: "a", values: [] }], sql`i`, sql`UNION`)).toBeNull();
  });
});
