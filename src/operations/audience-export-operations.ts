import { z } from "zod";
import { type AudienceExport, exportAudience } from "../activation/audience-export.js";
import { audienceNamed } from "../activation/audiences.js";
import { EXPORT_FORMATS } from "../activation/export-formats.js";
import { defineOperation } from "./operation.js";

export type { AudienceExport };

/**
 * `audience.export` (issue 18, item 2): an audience's consented people to a file — csv (the contact fields its
 * channel needs), google (Customer Match) or meta (Custom Audiences, 10,000 rows a file). Every export is recorded
 * in the audit log: who, the audience and format, its purpose and channel, how many people.
 *
 * Not served over HTTP: it writes a file on the machine that runs it (a path a remote caller chose would be a
 * write anywhere the server may write); the API reaches an audience's people through its members route and
 * destinations.
 */

export const AudienceExportInput = z
  .object({
    /** The audience. */
    id: z.string(),
    format: z.enum(EXPORT_FORMATS, { error: `a format is required: ${EXPORT_FORMATS.join(", ")}` }),
    /** The file to write; Meta's further files are named after it (`out-2.json`…). */
    out: z.string({ error: "a file to write is required" }).min(1, "a file to write is required"),
    /** Replace files that exist (and remove further parts of an earlier Meta export to the same name). */
    force: z.boolean().default(false),
  })
  .strict();

export const audienceExportOperation = defineOperation({
  name: "audience.export",
  summary: "write an audience's consented people to a file: csv, google (Customer Match) or meta",
  input: AudienceExportInput,
  // It changes nothing in the database: a read (a consistent snapshot), whose record in the audit log is a write.
  access: "read",
  people: {
    count: (r: AudienceExport) => r.rows,
    subject: (i) => `audience=${i.id} format=${i.format}`,
    use: (r: AudienceExport) => r,
  },
  run: async (session, input): Promise<AudienceExport> =>
    exportAudience(session, await audienceNamed(session, input.id, "id"), input),
});
