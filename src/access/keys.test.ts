import { describe, expect, it } from "vitest";
import { TEST_ENGINES } from "../../test/engines.js";
import { readAuditLog, recordSensitiveAction } from "../privacy/audit-log.js";
import { openSession } from "../store/open-store.js";
import { createKey, listKeys, revokeKey, verifyKey } from "./keys.js";
import { allows, PERMISSIONS, ROLES } from "./roles.js";

describe.each(TEST_ENGINES)("API keys on $name", ({ location }) => {
  it("are shown once, stored as a hash, verified exactly, and refused once revoked", async () => {
    const engine = await openSession(location());
    try {
      const a = await createKey(engine, "analyst", "dashboards");
      const b = await createKey(engine, "admin");
      expect(a.key).toMatch(/^tsk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(b.name).toBe(`admin-${b.id}`);
      // Only the hash is stored: no column holds the key or its secret.
      const stored = JSON.stringify((await engine.query("SELECT * FROM api_keys")).rows(), (_k, v) =>
        typeof v === "bigint" ? String(v) : v,
      );
      expect(stored).not.toContain(a.key.slice(17));
      expect(await verifyKey(engine, a.key)).toEqual({ id: a.id, name: "dashboards", role: "analyst" });
      // One character changed, another key's id with this secret, garbage: not keys.
      const flipped = a.key.slice(0, -1) + (a.key.endsWith("A") ? "B" : "A");
      expect(await verifyKey(engine, flipped)).toBeNull();
      expect(await verifyKey(engine, `tsk_${b.id}_${a.key.slice(17)}`)).toBeNull();
      expect(await verifyKey(engine, "Bearer nonsense")).toBeNull();
      const listed = await listKeys(engine);
      expect(listed.map((k) => [k.id, k.role, k.revokedAt])).toEqual(
        expect.arrayContaining([
          [a.id, "analyst", null],
          [b.id, "admin", null],
        ]),
      );
      const revoked = await revokeKey(engine, a.id);
      expect(revoked.revokedAt).not.toBeNull();
      expect(await verifyKey(engine, a.key)).toBeNull();
      expect(await verifyKey(engine, b.key)).not.toBeNull();
      await expect(revokeKey(engine, "000000000000")).rejects.toMatchObject({ code: "unknown-key" });
      // The audit log keeps who read how many people.
      await recordSensitiveAction(engine, {
        who: `key ${b.id}`,
        action: "segment.members",
        subject: "segment=vip",
        people: 42,
      });
      expect(await readAuditLog(engine, 10)).toMatchObject([
        { seq: 1, who: `key ${b.id}`, what: "segment.members segment=vip", people: 42 },
      ]);
    } finally {
      engine.close();
    }
  });
});

describe("roles", () => {
  it("admin has every permission; analyst and marketer never read people; ingest only tracks", () => {
    for (const p of PERMISSIONS) expect(allows("admin", p)).toBe(true);
    for (const role of ROLES.filter((r) => r !== "admin"))
      expect(allows(role, "read:people"), role).toBe(false);
    expect(PERMISSIONS.filter((p) => allows("ingest", p))).toEqual(["track"]);
    // A marketer reaches people only through the consent gate (issue 17): members for a purpose they consented to;
    // activation (audiences, destinations, campaigns: issue 18) sends only those too.
    expect(PERMISSIONS.filter((p) => allows("marketer", p))).toEqual([
      "read:aggregates",
      "read:consented-people",
      "write:segments",
      "write:activation",
    ]);
    expect(PERMISSIONS.filter((p) => allows("analyst", p))).toEqual(["read:aggregates", "write:values"]);
  });
});
