import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { UserError } from "../errors.js";

/**
 * File uploads (`POST /api/imports/{kind}`): the request body is the file. It is streamed to a temporary file (never
 * held in memory), under a size limit, and named so that the importer reads it as the request says: the importer
 * takes a file's format from its name (src/ingest/file-source.ts, `detectFormat`) and refuses gzip bytes under a
 * name without `.gz` (file-check.ts), so the name given here carries the format of the Content-Type (or, for
 * `application/octet-stream`, of the bytes) and `.gz` exactly when the bytes are gzip.
 */

/** The formats the importer reads, as a file name's extension gives them. */
export type UploadFormat = "csv" | "json" | "parquet";

/** Content types of an upload, and the format each gives (undefined: found from the bytes). */
export const UPLOAD_TYPES: Readonly<Record<string, UploadFormat | undefined>> = {
  "text/csv": "csv",
  "text/tab-separated-values": "csv",
  "text/plain": "csv",
  "application/x-ndjson": "json",
  "application/jsonl": "json",
  "application/json": "json",
  "application/vnd.apache.parquet": "parquet",
  "application/gzip": undefined,
  "application/octet-stream": undefined,
};

/** The default largest upload: 1 GiB. */
export const UPLOAD_LIMIT = 1024 ** 3;

/** What the request's headers say of its body. */
export interface UploadHeaders {
  /** The format, when the Content-Type says it. */
  readonly format: UploadFormat | undefined;
  /** Content-Encoding: gzip, or application/gzip: the bytes must be gzip. */
  readonly gzip: boolean;
  /** The Content-Type's charset, when not UTF-8: the import's `encoding` unless the query gives one. */
  readonly charset: string | undefined;
}

/** The format the headers give the body; a content type that is not a file's is a 415. */
export function uploadHeaders(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): UploadHeaders {
  const [type = "", ...params] = (contentType ?? "application/octet-stream").split(";");
  const mediaType = type.trim().toLowerCase();
  if (!(mediaType in UPLOAD_TYPES))
    throw new UserError(
      "unsupported-media-type",
      `an upload's body is the file itself (curl --data-binary @FILE), as one of ${Object.keys(UPLOAD_TYPES).join(", ")}; not ${mediaType || "an empty content type"}`,
      "content-type",
    );
  const encoding = (contentEncoding ?? "identity").trim().toLowerCase();
  if (!["identity", "gzip", "x-gzip"].includes(encoding))
    throw new UserError(
      "unsupported-media-type",
      `the Content-Encoding ${encoding} is not read: send the file as it is, or gzip-compressed`,
      "content-encoding",
    );
  const charset = params
    .map((p) => /^\s*charset\s*=\s*"?([^";]+)"?\s*$/i.exec(p)?.[1]?.trim())
    .find((c) => c !== undefined);
  return {
    format: UPLOAD_TYPES[mediaType],
    gzip: encoding !== "identity" || mediaType === "application/gzip",
    charset: charset === undefined || /^utf-?8$/i.test(charset) ? undefined : charset,
  };
}

/**
 * The name an upload goes by in messages and the import log: the Content-Disposition's file name (its last path
 * segment: never a path of the server's), else undefined (the caller's `?name=` or "upload").
 */
export function dispositionName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)?.[1];
  if (extended !== undefined) {
    try {
      name = decodeURIComponent(extended.trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*(?:"([^"]*)"|([^;]+))/i
    .exec(header)
    ?.slice(1)
    .find((v) => v !== undefined);
  const last = name?.trim().split(/[\\/]/).at(-1);
  return last ? last : undefined;
}

/**
 * Streams `body` into `dir` (a folder of its own, which the caller removes whatever happens) and returns the file
 * to import, named for its format. Over `limit` bytes, a 413 (a UserError, `body-too-large`) at once, nothing more
 * written (`dropRest`). `name`: the upload's, for messages.
 */
export async function receiveUpload(
  body: Readable | undefined,
  dir: string,
  limit: number,
  headers: UploadHeaders,
  name: string,
): Promise<string> {
  const raw = join(dir, "upload");
  await writeLimited(body, raw, limit);
  const head = await readHead(raw, 64);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  if (headers.gzip && !gzip)
    throw new UserError(
      "bad-upload",
      "the body is not gzip-compressed, though its Content-Type or Content-Encoding says gzip",
      "body",
    );
  const format = headers.format ?? sniffFormat(gzip ? await gunzippedHead(raw, 64) : head);
  if (format === "parquet" && gzip) {
    // The engines read gzip-compressed text, not a gzip-compressed Parquet file: it is decompressed here, under
    // the same limit (a small body must not grow into gigabytes).
    const plain = join(dir, "upload.parquet");
    await gunzipLimited(raw, plain, limit, name);
    await rm(raw, { force: true });
    return plain;
  }
  const named = join(dir, `upload.${format}${gzip ? ".gz" : ""}`);
  await rename(raw, named);
  return named;
}

/** The 413 of an upload over the limit. */
export function tooLarge(limit: number): UserError {
  return new UserError(
    "body-too-large",
    `the upload is over the server's limit of ${limit.toLocaleString("en-US")} bytes`,
    "body",
  );
}

/** Writes the body to `path`, refusing it once it passes `limit` bytes. */
async function writeLimited(body: Readable | undefined, path: string, limit: number): Promise<void> {
  const out = createWriteStream(path);
  let size = 0;
  try {
    if (body) {
      for await (const chunk of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) break;
        if (!out.write(chunk)) await once(out, "drain");
      }
      if (size > limit) {
        dropRest(body);
        throw tooLarge(limit);
      }
    }
  } catch (e) {
    throw e instanceof UserError ? e : receiveError(e);
  } finally {
    out.end();
    await once(out, "close").catch(() => {});
  }
  if (out.errored) throw receiveError(out.errored);
}

/** How much of a refused body is read and dropped before its connection is cut (`dropRest`). */
const DROPPED_AT_MOST = 64 * 1024 * 1024;

/**
 * Reads what is left of a refused body and drops it (as fastify does past its body limit): left unread, the request
 * would never end, and the client, stalled sending it, would not read the 413. A body that goes on past
 * `DROPPED_AT_MOST` more has its connection cut instead (no request timeout bounds a body: fastify sets none).
 */
function dropRest(body: Readable): void {
  let dropped = 0;
  body.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DROPPED_AT_MOST) body.destroy();
  });
  body.resume();
}

/** A failure while receiving: the client went away, or the server's disk is full. */
function receiveError(e: unknown): unknown {
  const code = (e as { code?: string }).code;
  if (code === "ENOSPC")
    return new UserError("disk-full", "the server's disk is full: the upload cannot be kept", "body");
  if (code === "ECONNRESET" || (e as Error).message === "aborted")
    return new UserError(
      "upload-aborted",
      "the upload was cut short: the connection closed before its end",
      "body",
    );
  return e;
}

/** The first `n` bytes of a file (fewer when it is shorter). */
async function readHead(path: string, n: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await file.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** The first `n` bytes once decompressed (as many as come before a break: the import's check names a bad stream). */
async function gunzippedHead(path: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const gunzip = createGunzip();
  const input = createReadStream(path);
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= n) break;
    }
  } catch {
    // A corrupt or cut stream: the import's file check says so, naming the upload.
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/** Decompresses `from` into `to`, refusing output over `limit` bytes. */
async function gunzipLimited(from: string, to: string, limit: number, name: string): Promise<void> {
  let size = 0;
  try {
    await pipeline(
      createReadStream(from),
      createGunzip(),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > limit) throw tooLarge(limit);
          yield chunk;
        }
      },
      createWriteStream(to),
    );
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(
      "corrupt-file",
      `is corrupt or cut short: its gzip data cannot be decompressed (${(e as Error).message})`,
      name,
    );
  }
}

/** The format of a file from its first bytes: Parquet's magic, a JSON document or rows, else delimited text. */
export function sniffFormat(head: Buffer): UploadFormat {
  if (head.subarray(0, 4).toString("latin1") === "PAR1") return "parquet";
  const text = head
    .toString("utf8")
    .replace(/^\uFEFF/, "")
    .trimStart();
  return text.startsWith("{") || text.startsWith("[") ? "json" : "csv";
}

/** The folder name of an upload's copy (under the server's upload folder). */
export const UPLOAD_PREFIX = "tessera-upload-";

/** Removes an upload's folder; never throws (the answer is already decided). */
export async function removeUpload(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}
