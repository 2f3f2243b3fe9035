import { describe, expect, it } from "vitest";
import { blindIndex, blindIndexSql, makeKeyring } from "../src/privacy/field-crypto.js";
import { openStore } from "../src/store/open-store.js";
import { sql } from "../src/store/sql.js";
import { TEST_ENGINES } from "./engines.js";

/**
 * The blind index of field encryption (issue 17, item 8) is computed by the engine over raw rows (identity
 * resolution stays in SQL) and by TypeScript for one identifier (erasure, access requests): on every engine, the
 * two must give the same text, for any text.
 */
const ring = makeKeyring(new Map([[3, Buffer.from("a5".repeat(32), "hex")]]), 3, 3);
const VALUES = [
  "ana@example.com",
  "+447700900123",
  "",
  "ünïcødé@例え.jp",
  "a'b\"c\\d",
  "x".repeat(300),
  "🙂",
];

describe.each(TEST_ENGINES)("the blind index on $name", ({ location }) => {
  it("is the same computed by the engine and by TypeScript", async () => {
    const store = await openStore(location());
    try {
      const got = await store.read(async (s) => {
        const out: string[] = [];
        for (const v of VALUES) {
          const r = await s.query(sql`SELECT ${blindIndexSql(s.dialect, ring, "email", sql`${v}`)} AS ix`);
          out.push(r.column("ix")[0] as string);
        }
        return out;
      });
      expect(got).toEqual(VALUES.map((v) => blindIndex(ring, "email", v)));
      // 64 hexadecimal characters, and the kind changes it.
      expect(got[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(blindIndex(ring, "phone", VALUES[0] as string)).not.toBe(got[0]);
    } finally {
      await store.close();
    }
  });
});
