import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import type { Engine } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { sql, tsParam } from "../store/sql.js";
import { readAuditLog, recordSensitiveAction, verifyAuditLog } from "./audit-log.js";

const sha256 = (t: string) => createHash("sha256").update(t, "utf8").digest("hex");

/** The chain as the module's documentation states it, computed here without the module. */
function referenceHash(
  prev: string,
  e: {
    seq: number;
    at: string;
    who: string;
    action: string;
    subject: string | null;
    purpose: string | null;
    people: number;
    what: string;
  },
): string {
  const fields = [e.seq, e.at, e.who, e.action, e.subject, e.purpose, e.people, e.what];
  return sha256(`${prev}\n${JSON.stringify(["tessera.audit.v1", ...fields])}`);
}

const AT = sql.ident("at");

async function record(engine: Engine, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++)
    await recordSensitiveAction(engine, {
      who: i % 2 ? "cli:alice" : "key 0123456789ab (crm)",
      action: i % 3 ? "segment.members" : "traits.set",
      subject: `segment=s${i}`,
      purpose: i % 4 === 0 ? "marketing" : null,
      people: i,
    });
}

async function brokenAt(engine: Engine): Promise<{ seq: number; reason: string } | undefined> {
  const v = await verifyAuditLog(engine, 4);
  return v.firstBroken;
}

describe.each(TEST_ENGINES)("the audit log's hash chain on $name", ({ location }) => {
  it("chains many entries, reads them newest first, and detects and locates tampering by SQL", async () => {
    const engine = await openSession(location());
    try {
      expect(await verifyAuditLog(engine)).toEqual({ ok: true, checked: 0, legacy: 0, head: null });
      await record(engine, 23);
      // Read in pages of 4 (the page boundary falls inside the chain), and all at once: the same verdict.
      const v = await verifyAuditLog(engine, 4);
      expect(v).toMatchObject({ ok: true, checked: 23, legacy: 0 });
      expect(await verifyAuditLog(engine)).toEqual(v);

      const entries = await readAuditLog(engine, 100);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 23 }, (_, i) => 23 - i));
      expect(entries[22]).toMatchObject({
        seq: 1,
        who: "key 0123456789ab (crm)",
        action: "traits.set",
        subject: "segment=s0",
        purpose: "marketing",
        people: 0,
        what: "traits.set segment=s0 purpose=marketing",
      });
      expect(entries[21]?.what).toBe("segment.members segment=s1");
      expect(await readAuditLog(engine, 2)).toEqual(entries.slice(0, 2));
      // Entry 1 links to the digest of no earlier entries; each next one to the hash before it, by the formula.
      let prev = sha256("tessera.audit.legacy.v1");
      for (const e of [...entries].reverse()) {
        const expected = referenceHash(prev, { ...e, seq: e.seq as number, action: e.action as string });
        expect(e.hash, `entry ${e.seq}`).toBe(expected);
        prev = expected;
      }
      expect(v.head).toEqual({ seq: 23, hash: prev });

      // A field changed (the people count of entry 7): that entry, its hash no longer matches.
      await engine.run(engine.dialect.updateWhere("audit_log", sql`people = 700`, sql`seq = 7`));
      expect(await brokenAt(engine)).toEqual({
        seq: 7,
        reason: "its content does not match its hash (changed)",
      });
      await engine.run(engine.dialect.updateWhere("audit_log", sql`people = 6`, sql`seq = 7`));
      expect((await verifyAuditLog(engine)).ok).toBe(true);

      // The time changed by a second: located too.
      const at7 = entries.find((e) => e.seq === 7)?.at as string;
      const later = new Date(Date.parse(at7) + 1000);
      await engine.run(engine.dialect.updateWhere("audit_log", sql`${AT} = ${tsParam(later)}`, sql`seq = 7`));
      expect((await brokenAt(engine))?.seq).toBe(7);
      await engine.run(
        engine.dialect.updateWhere("audit_log", sql`${AT} = ${tsParam(new Date(at7))}`, sql`seq = 7`),
      );
      expect((await verifyAuditLog(engine)).ok).toBe(true);

      // A row removed (entry 12): located at 12, the number missing.
      const row12 = await engine.query(sql`SELECT * FROM audit_log WHERE seq = 12`);
      await engine.run(engine.dialect.deleteWhere("audit_log", sql`seq = 12`));
      expect(await brokenAt(engine)).toEqual({
        seq: 12,
        reason: "entry 12 is missing (removed); entry 13 follows 11",
      });
      // Renumbering the rest to hide the gap does not help: entry 13, now 12, does not follow 11.
      await engine.run(engine.dialect.updateWhere("audit_log", sql`seq = seq - 1`, sql`seq > 12`));
      expect(await brokenAt(engine)).toEqual({
        seq: 12,
        reason:
          "it does not follow entry 11: its previous hash is not that entry's hash (an entry was replaced)",
      });
      await engine.run(engine.dialect.updateWhere("audit_log", sql`seq = seq + 1`, sql`seq >= 12`));
      await reinsert(engine, row12.rows()[0] as Record<string, unknown>);
      expect((await verifyAuditLog(engine)).ok).toBe(true);

      // A row inserted with a number already taken: located at that number.
      await engine.run(
        sql`INSERT INTO audit_log (seq, who, action, people, what, ${AT}, prev_hash, hash)
            SELECT seq, 'cli:mallory', action, 0, what, ${AT}, prev_hash, hash FROM audit_log WHERE seq = 5`,
      );
      expect(await brokenAt(engine)).toEqual({
        seq: 5,
        reason: "entry 5 appears more than once (one was inserted)",
      });
      await engine.run(engine.dialect.deleteWhere("audit_log", sql`who = 'cli:mallory'`));
      // A row inserted without a number (as entries before the chain were): entry 1 sealed those, so it breaks.
      await engine.run(
        sql`INSERT INTO audit_log (who, what, ${AT}, people) VALUES ('cli:mallory', 'nothing', ${tsParam(new Date())}, 1)`,
      );
      expect(await brokenAt(engine)).toEqual({
        seq: 1,
        reason:
          "the 1 entries from before the chain are not those entry 1 sealed (changed, removed or added)",
      });
      await engine.run(engine.dialect.deleteWhere("audit_log", sql`who = 'cli:mallory'`));
      expect((await verifyAuditLog(engine)).ok).toBe(true);

      // Two entries swapped (3 and 4 exchange numbers): the first out of place is found.
      await engine.run(
        engine.dialect.updateWhere(
          "audit_log",
          sql`seq = CASE WHEN seq = 3 THEN 4 ELSE 3 END`,
          sql`seq IN (3, 4)`,
        ),
      );
      expect((await brokenAt(engine))?.seq).toBe(3);
      await engine.run(
        engine.dialect.updateWhere(
          "audit_log",
          sql`seq = CASE WHEN seq = 3 THEN 4 ELSE 3 END`,
          sql`seq IN (3, 4)`,
        ),
      );
      // A whole entry rewritten with a hash that matches its new content: the next entry no longer follows it.
      const e9 = entries.find((e) => e.seq === 9);
      const prev9 = (await engine.query(sql`SELECT prev_hash FROM audit_log WHERE seq = 9`)).column(
        "prev_hash",
      )[0];
      if (e9 === undefined) throw new Error("no entry 9");
      const forged = referenceHash(String(prev9), { ...e9, seq: 9, people: 0, action: e9.action as string });
      await engine.run(
        engine.dialect.updateWhere("audit_log", sql`people = 0, hash = ${forged}`, sql`seq = 9`),
      );
      expect(await brokenAt(engine)).toEqual({
        seq: 10,
        reason:
          "it does not follow entry 9: its previous hash is not that entry's hash (an entry was replaced)",
      });
    } finally {
      await engine.close();
    }
  });

  it("seals the entries written before the chain with its first entry", async () => {
    const engine = await openSession(location());
    try {
      // As the server wrote them before migration 10: who, what, at, people.
      const old = [
        ["key aaa (crm)", "segment.members id=vip", "2026-01-02T03:04:05.678Z", 42],
        ["cli:bob", "audit", "2026-01-03T00:00:00.000Z", 5],
      ] as const;
      for (const [who, what, at, people] of old)
        await engine.run(
          sql`INSERT INTO audit_log (who, what, ${AT}, people) VALUES (${who}, ${what}, ${tsParam(new Date(at))}, ${people})`,
        );
      expect(await verifyAuditLog(engine)).toEqual({ ok: true, checked: 0, legacy: 2, head: null });
      await record(engine, 3);
      const log = await readAuditLog(engine, 10);
      expect(log.map((e) => [e.seq, e.who, e.what])).toEqual([
        [3, "key 0123456789ab (crm)", "segment.members segment=s2"],
        [2, "cli:alice", "segment.members segment=s1"],
        [1, "key 0123456789ab (crm)", "traits.set segment=s0 purpose=marketing"],
        [null, "cli:bob", "audit"],
        [null, "key aaa (crm)", "segment.members id=vip"],
      ]);
      expect(log[3]).toMatchObject({ action: null, hash: null, at: "2026-01-03T00:00:00.000Z", people: 5 });
      // Entry 1's previous hash: the digest of the old rows' sorted lines.
      const lines = old.map(([who, what, at, people]) => JSON.stringify([at, who, what, people])).sort();
      const first = (await engine.query(sql`SELECT prev_hash FROM audit_log WHERE seq = 1`)).column(
        "prev_hash",
      );
      expect(first).toEqual([sha256(["tessera.audit.legacy.v1", ...lines].join("\n"))]);
      expect(await verifyAuditLog(engine)).toMatchObject({ ok: true, checked: 3, legacy: 2 });
      // An old row changed, or removed: entry 1 says so.
      await engine.run(engine.dialect.updateWhere("audit_log", sql`people = 4`, sql`who = 'cli:bob'`));
      expect(await brokenAt(engine)).toMatchObject({ seq: 1 });
      await engine.run(engine.dialect.deleteWhere("audit_log", sql`who = 'cli:bob'`));
      expect((await verifyAuditLog(engine)).firstBroken).toMatchObject({ seq: 1 });
    } finally {
      await engine.close();
    }
  });
});

/** Puts back a row read with `SELECT *` (the tests' undo of a deletion). */
async function reinsert(engine: Engine, row: Record<string, unknown>): Promise<void> {
  const cols = Object.keys(row);
  const values = cols.map((c) => {
    const v = row[c];
    if (v instanceof Date) return tsParam(v);
    if (typeof v === "number") return sql.param(v, c === "seq" || c === "people" ? "integer" : "number");
    return sql.param((v ?? null) as string | null, "string");
  });
  await engine.run(
    sql`INSERT INTO audit_log (${sql.join(cols.map((c) => sql.ident(c)))}) VALUES (${sql.join(values)})`,
  );
}
