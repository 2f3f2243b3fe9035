import { z } from "zod";
import { type ErasureResult, erasePerson } from "../privacy/erasure.js";
import { defineOperation } from "./operation.js";

export const PrivacyEraseInput = z
  .object({
    /** A customer id, user id, email address or phone number. */
    person: z.string(),
  })
  .strict();

/**
 * `privacy.erase`: removes one person from every table, keeps their identifiers only as tombstones (keyed hashes)
 * so no import or tracked event brings them back, records the erasure without personal data (erasure ledger and
 * audit log), then verifies that no table and no byte of the database's files holds them. An unknown or malformed
 * identifier changes nothing. Every cached answer is read again.
 */
export const privacyEraseOperation = defineOperation({
  name: "privacy.erase",
  summary: "erase a person from every table, tombstone their identifiers, and verify (tables and file bytes)",
  input: PrivacyEraseInput,
  access: "write",
  run: (session, { person }, _emit, caller): Promise<ErasureResult> =>
    erasePerson(session, person, caller.who),
});
