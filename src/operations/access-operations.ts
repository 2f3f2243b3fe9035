import { z } from "zod";
import { createKey, type KeyInfo, listKeys, revokeKey, verifyKey } from "../access/keys.js";
import { allows, type Permission, ROLES, type Role } from "../access/roles.js";
import { recordSensitiveAction } from "../privacy/audit-log.js";
import { defineOperation, type Store } from "./operation.js";

export { PERMISSIONS, ROLES } from "../access/roles.js";
export type { Permission, Role };

export const KeyCreateInput = z
  .object({
    role: z.enum(ROLES),
    /** What the key is for, shown in lists and the audit log (default `<role>-<id>`). */
    name: z.string().min(1).max(100).optional(),
  })
  .strict();

/**
 * `keys.create`: a new API key for a role, shown once (only its hash is stored). Made at the machine, not served.
 * A setting change: recorded in the audit log (the key's id and role; never the key).
 */
export const keyCreateOperation = defineOperation({
  name: "keys.create",
  summary: "make an API key for a role (admin, analyst, marketer, ingest); the key is shown once",
  input: KeyCreateInput,
  access: "write",
  run: (session, input, _emit, caller) =>
    session.transaction(async () => {
      const made = await createKey(session, input.role, input.name);
      const subject = `key=${made.id} role=${made.role}`;
      await recordSensitiveAction(session, { who: caller.who, action: "keys.create", subject, people: 0 });
      return made;
    }),
});

export const KeyListInput = z.object({}).strict();

/** `keys.list`: every key, without its secret. */
export const keyListOperation = defineOperation({
  name: "keys.list",
  summary: "the API keys: id, name, role, when made and revoked",
  input: KeyListInput,
  access: "read",
  run: async (session): Promise<{ keys: KeyInfo[] }> => ({ keys: await listKeys(session) }),
});

export const KeyRevokeInput = z.object({ id: z.string() }).strict();

/** `keys.revoke`: refuses a key from now on; recorded in the audit log when it revoked one (not again). */
export const keyRevokeOperation = defineOperation({
  name: "keys.revoke",
  summary: "revoke an API key: it is refused from then on",
  input: KeyRevokeInput,
  access: "write",
  run: (session, input, _emit, caller): Promise<KeyInfo> =>
    session.transaction(async () => {
      const wasLive = (await listKeys(session)).some((k) => k.id === input.id && k.revokedAt === null);
      const key = await revokeKey(session, input.id);
      if (wasLive)
        await recordSensitiveAction(session, {
          who: caller.who,
          action: "keys.revoke",
          subject: `key=${key.id} role=${key.role}`,
          people: 0,
        });
      return key;
    }),
});

/** Who a request is, from its key: the key's id, name and role, or null for no key of this store (or a revoked one). */
export function authenticate(
  store: Store,
  key: string,
): Promise<{ id: string; name: string; role: Role } | null> {
  return store.read((s) => verifyKey(s, key));
}

/** Whether a role has a permission. */
export function roleAllows(role: Role, permission: Permission): boolean {
  return allows(role, permission);
}
