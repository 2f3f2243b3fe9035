import { z } from "zod";
import { type AccessReport, accessReport } from "../privacy/access-request.js";
import { resolvePerson } from "../privacy/person.js";
import { defineOperation } from "./operation.js";

export const PrivacyExportInput = z
  .object({
    /** The person: a customer id, user id, email address or phone number. */
    person: z.string({
      error: "a person is required: a customer id, user id, email address or phone number",
    }),
  })
  .strict();

/**
 * `privacy.export`: an access request — everything held about one person, and why they are in each segment they
 * are in. A read of person-level data: recorded in the audit log (one person).
 */
export const privacyExportOperation = defineOperation({
  name: "privacy.export",
  summary: "everything held about one person, and why they are in each of their segments (an access request)",
  input: PrivacyExportInput,
  access: "read",
  people: { count: () => 1 },
  run: async (session, input): Promise<AccessReport> =>
    accessReport(session, await resolvePerson(session, input.person, "privacy.export: person")),
});
