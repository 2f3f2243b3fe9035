import { TextDecoder } from "node:util";
import { z } from "zod";
import { isUserError, UserError } from "../errors.js";
import { openFile } from "../ingest/file-source.js";
import { importFile } from "../ingest/import.js";
import { runImport } from "../ingest/import-pipeline.js";
import { importRows } from "../ingest/import-rows.js";
import {
  CONFLICT_POLICIES,
  IMPORT_KINDS,
  type ImportOptions,
  type ImportStep,
  type ImportSummary,
  type RejectedRow,
  type RowsImportResult,
  RowsRejectedError,
} from "../ingest/import-types.js";
import type { Rejects } from "../ingest/rejected-rows.js";
import type { Engine } from "../store/engine.js";
import { defineOperation, type Emit } from "./operation.js";
import { isoTime, wholeNumber } from "./schema-types.js";

/**
 * What an import holds. An unknown kind is reported as the CLI always has (`import: unknown kind "x" (expected
 * one of …)`): the check throws its UserError itself, which zod passes through, rather than returning an issue
 * that `parseInput` would name by its path. The enum after it gives the type and the API's documentation.
 */
const importKind = z
  .string()
  .refine((kind) => {
    if ((IMPORT_KINDS as readonly string[]).includes(kind)) return true;
    throw new UserError(
      "bad-kind",
      `unknown kind "${kind}" (expected one of ${IMPORT_KINDS.join(", ")})`,
      "import",
    );
  })
  .pipe(z.enum(IMPORT_KINDS));

/**
 * A CSV delimiter every engine reads alike: one ASCII character that is neither the quote nor a line break
 * (ClickHouse's reader takes one byte; a longer delimiter split nothing and left one column), or `whitespace`.
 */
export function isDelimiter(value: string): boolean {
  return (
    value === "whitespace" ||
    (value.length === 1 && value.charCodeAt(0) < 0x80 && !['"', "\n", "\r"].includes(value))
  );
}

/** An encoding Node can decode (TextDecoder's labels). */
export function isEncoding(label: string): boolean {
  try {
    new TextDecoder(label.trim());
    return true;
  } catch {
    return false;
  }
}

/**
 * How an import's messages, summary and log name a source that is not a path (an upload, a batch): a short line of
 * text, not a megabyte or a control character that would then be in every message and the import log.
 */
const sourceName = z
  .string()
  .min(1)
  .max(200)
  .refine((n) => !/\p{Cc}/u.test(n), { message: "must not hold control characters" });

/** How rows are read, whatever holds them. */
const importSettings = {
  /** What the rows hold: customers, events, orders, order-lines, consents or survey-responses. */
  kind: importKind,
  /** `target=source[:format]`: take a canonical field from another column (`timestamp=date:%Y%m%d`). */
  map: z.array(z.string()).default([]),
  /** Category of the traits a customers import creates (default custom; stored traits keep theirs). */
  category: z.string().optional(),
  /** Traits that are personal data: each must be a trait of the import (or a contact field). */
  pii: z.array(z.string()).default([]),
  /** Any rejected row aborts the import, and nothing is written (and any conflict, with onConflict reject). */
  strict: z.boolean().default(false),
  /**
   * A row whose key (message_id, order_id, an order's line) is stored or given earlier with other content:
   * `reject` sets it aside, `keep-first` keeps the earlier version, `replace` the later. Reported either way.
   */
  onConflict: z.enum(CONFLICT_POLICIES).default("reject"),
  /**
   * Admit any date. Without it a row dated on or before 1900-01-01, or more than a day after the import's time, is
   * rejected with the reason (a `9999-12-31` placeholder would move every default "as of the data's end").
   */
  allowAnyDate: z.boolean().default(false),
  /** The import's time, which "in the future" is judged by (default: now). */
  now: isoTime.optional(),
};

export const ImportInput = z
  .object({
    ...importSettings,
    /** The files, each imported in its own transaction, in order. */
    files: z.array(z.string().min(1)).min(1),
    /** CSV delimiter, one character (default: detected); `whitespace` for blank-separated columns. */
    delimiter: z
      .string()
      .refine(isDelimiter, {
        message: 'expected one ASCII character (not a quote or a line break), or "whitespace"',
      })
      .optional(),
    /** Whether the first line is a header (default: detected). */
    header: z.boolean().optional(),
    /** The files' text encoding (a WHATWG label: latin1, windows-1252, utf-16le, …); default UTF-8. */
    encoding: z
      .string()
      .refine(isEncoding, { message: "unknown encoding (e.g. utf-8, latin1, windows-1252, utf-16le)" })
      .optional(),
    /** Where rejected rows go (default `<file>.rejects.csv`). */
    rejects: z.string().optional(),
    /**
     * The file is an upload (the HTTP API's `POST /api/imports/{kind}`): messages, the summary and the import log
     * call it by this name, not by its path (the server's temporary copy, deleted after), and its rejected rows
     * come back in the result (`rejects`, the first 1,000) rather than in a reject file beside that copy. With
     * one file, and without `rejects`.
     */
    name: sourceName.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.name === undefined) return;
    if (input.files.length > 1)
      ctx.addIssue({ code: "custom", path: ["files"], message: "an upload (name) is one file" });
    if (input.rejects !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["rejects"],
        message: "an upload's rejected rows come back in the result: no reject file is written",
      });
  });

/** What an import reports as it goes: a file's step as it starts, and each file's summary once it is in. */
export type ImportEvent =
  | { readonly type: "step"; readonly file: string; readonly step: ImportStep }
  | { readonly type: "imported"; readonly summary: ImportSummary };

/** An upload's summary: its rejected rows are in it (the first `UPLOAD_REJECTS_SHOWN`), not in a file. */
export interface UploadSummary extends ImportSummary {
  readonly rejects: readonly RejectedRow[];
}

/** One file's summary; several files' summaries, in order. */
export type ImportResult = ImportSummary | UploadSummary | { readonly imports: ImportSummary[] };

/**
 * The rejected rows an upload's result lists: enough to see every kind of mistake, while a file of millions of
 * bad rows (a timestamp format not mapped) does not become an answer of gigabytes. `rejected` gives the count.
 */
export const UPLOAD_REJECTS_SHOWN = 1000;

/**
 * `import`: imports files of one kind (CSV, JSON, NDJSON, Parquet, gzipped or not, blank-separated text), each in
 * a transaction of its own; rejected rows go to a reject file per file. A failure stops at that file: the files
 * before it stay imported (each told by an `imported` event), it and those after are not.
 */
export const importOperation = defineOperation({
  name: "import",
  summary: "import files of one kind",
  input: ImportInput,
  access: "write",
  // Rows and identities: merges rewrite the customer ids of segment stays but change no segment's size.
  changes: ["data"],
  run: async (session, input, emit: Emit<ImportEvent>): Promise<ImportResult> => {
    const summaries: ImportSummary[] = [];
    for (const path of input.files) {
      const options: ImportOptions = {
        kind: input.kind,
        path,
        map: input.map,
        category: input.category,
        pii: input.pii,
        strict: input.strict,
        onConflict: input.onConflict,
        allowAnyDate: input.allowAnyDate,
        ...(input.now ? { now: input.now } : {}),
        delimiter: input.delimiter,
        header: input.header,
        encoding: input.encoding,
        rejectsPath: input.rejects,
        onStep: (step) => emit({ type: "step", file: input.name ?? path, step }),
      };
      const summary =
        input.name === undefined
          ? await importFile(session, options)
          : await importUpload(session, options, input.name);
      emit({ type: "imported", summary });
      summaries.push(summary);
    }
    return summaries.length === 1 && summaries[0] ? summaries[0] : { imports: summaries };
  },
});

/**
 * Imports an uploaded file as `importFile` imports any file (the same check, reader and pipeline), named `name`
 * wherever the import speaks of it — its errors too, which the file's check and reader raise naming the path —
 * with its rejected rows kept as values for the answer.
 */
async function importUpload(session: Engine, options: ImportOptions, name: string): Promise<UploadSummary> {
  const { path } = options;
  let rejects: RejectedRow[] = [];
  let lines = 0;
  try {
    const summary = await runImport(
      session,
      options,
      async () => ({
        ...(await openFile(session, path, options)),
        label: name,
        shortName: name,
        logName: `upload ${name}`,
      }),
      async (set) => {
        lines = set.count;
        rejects = await firstRejects(set, UPLOAD_REJECTS_SHOWN);
        return null;
      },
    );
    const notes =
      lines > rejects.length
        ? [...summary.notes, `rejects lists the first ${rejects.length} of ${lines} lines of rejected rows`]
        : summary.notes;
    return { ...summary, notes, rejects };
  } catch (e) {
    if (!isUserError(e)) throw e;
    const named = new UserError(
      e.code,
      e.reason.replaceAll(path, name),
      e.where === undefined ? undefined : e.where.replaceAll(path, name),
    );
    // A strict import refused: the rejected rows go with the error, as a batch's do.
    throw e.code === "rows-rejected" ? new RowsRejectedError(named, rejects) : named;
  }
}

/** The first `limit` rejected rows, in row order (a page is read at a time: the rest are never read). */
async function firstRejects(set: Rejects, limit: number): Promise<RejectedRow[]> {
  const first: RejectedRow[] = [];
  for await (const page of set.pages()) {
    first.push(...page.slice(0, limit - first.length));
    if (first.length >= limit) break;
  }
  return first;
}

export const ImportBatchInput = z
  .object({
    ...importSettings,
    /** The rows, in order (row 1 first): column → value; objects and arrays are taken as JSON. */
    rows: z.array(z.record(z.string(), z.unknown())),
    /** Names the batch in messages, the summary and the import log (as a file's path would). */
    source: sourceName,
    /**
     * Events: look for each `message_id` among the stored events dated within this many days of the batch's times
     * (Segment's deduplication window) instead of among all of them. The tracking API loads with 7.
     */
    dedupeWithinDays: wholeNumber(1).optional(),
  })
  .strict();

/**
 * `import.batch`: imports rows sent as data (an API upload, a batch of tracked events) through the same checks,
 * identity resolution and loading as a file, in one transaction. Rejected rows come back in the result, with row
 * number, field, reason and their values; nothing is written to disk.
 */
export const importBatchOperation = defineOperation({
  name: "import.batch",
  summary: "import a batch of rows sent as data",
  input: ImportBatchInput,
  access: "write",
  // Rows and identities: merges rewrite the customer ids of segment stays but change no segment's size.
  changes: ["data"],
  run: (session, input): Promise<RowsImportResult> =>
    importRows(session, {
      kind: input.kind,
      rows: input.rows,
      source: input.source,
      map: input.map,
      category: input.category,
      pii: input.pii,
      strict: input.strict,
      onConflict: input.onConflict,
      allowAnyDate: input.allowAnyDate,
      ...(input.now ? { now: input.now } : {}),
      ...(input.dedupeWithinDays !== undefined ? { dedupeWithinDays: input.dedupeWithinDays } : {}),
    }),
});
