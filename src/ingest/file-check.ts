import {
  closeSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { TextDecoder } from "node:util";
import { createGunzip } from "node:zlib";
import { UserError } from "../errors.js";
import { TextScan } from "./text-scan.js";

/** A file that passed the check, and the path the engine should read (a UTF-8 copy when it was decoded). */
export interface CheckedFile {
  readonly readPath: string;
  /** A JSON document holding an empty array: rows, none of them. */
  readonly noRows: boolean;
  /** Removes the decoded copy, if any. */
  cleanup(): void;
}

export interface CheckOptions {
  readonly format: "csv" | "json" | "parquet";
  /** The delimiter given by the user ("whitespace": blank-separated, no quoting). */
  readonly delimiter?: string;
  /** The text encoding (a WHATWG label: latin1, windows-1252, utf-16le, …); default UTF-8, checked. */
  readonly encoding?: string;
}

/**
 * Reads the whole file once, before the engine does, and refuses what the engines would read wrongly or
 * silently in part (principle 7): a gzip stream that is cut short or corrupt (DuckDB stops at the break and imports
 * the rows before it), a truncated Parquet file, a file with nothing in it, bytes that are not UTF-8 (the line and
 * column named), a line over `MAX_LINE_BYTES`, a CSV whose last quoted field never closes (the file was cut
 * short, or a quote is missing: the engines read the rest as one field or one column), a JSON document that ends
 * early or whose rows are not objects. With `encoding`, the text is decoded here and the engine reads a UTF-8
 * copy in a temporary folder. Every refusal is a UserError naming the file.
 */
export async function checkFile(path: string, opts: CheckOptions): Promise<CheckedFile> {
  const head = readHead(path, 8);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const named = /\.(gz|gzip)$/i.test(path);
  if (gzip && !named)
    throw new UserError(
      "unreadable-file",
      "is gzip-compressed but its name does not end in .gz: rename it (e.g. data.csv.gz)",
      path,
    );
  if (named && !gzip && head.length > 0)
    throw new UserError("unreadable-file", "is named .gz but is not gzip-compressed", path);
  if (opts.format === "parquet" && !gzip) {
    checkParquet(path);
    return { readPath: path, noRows: false, cleanup: () => {} };
  }
  const decode =
    opts.encoding !== undefined && !isUtf8Label(opts.encoding) ? textDecoder(opts.encoding) : null;
  let copyDir: string | null = null;
  let copy: ReturnType<typeof createWriteStream> | null = null;
  if (decode) {
    copyDir = mkdtempSync(join(tmpdir(), "tessera-decoded-"));
    copy = createWriteStream(join(copyDir, basename(path).replace(/\.(gz|gzip)$/i, "")));
  }
  const cleanup = () => {
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  };
  try {
    const scan = new TextScan(path, opts.format === "csv" ? opts.delimiter : "json", decode === null);
    const input = createReadStream(path);
    const stream = gzip ? input.pipe(createGunzip()) : input;
    if (stream !== input) input.on("error", (e) => stream.destroy(e));
    try {
      for await (const raw of stream as AsyncIterable<Buffer>) {
        const chunk = decode ? Buffer.from(decode.decode(raw, { stream: true }), "utf8") : raw;
        scan.feed(chunk);
        if (copy && !copy.write(chunk)) await new Promise<void>((r) => copy?.once("drain", () => r()));
      }
      if (decode) {
        const rest = Buffer.from(decode.decode(), "utf8");
        scan.feed(rest);
        copy?.write(rest);
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw gzip ? gzipError(e, path) : e;
    }
    if (copy)
      await new Promise<void>((res, rej) => copy?.end((err?: Error | null) => (err ? rej(err) : res())));
    const noRows = scan.finish(opts.format);
    return { readPath: copy ? String(copy.path) : path, noRows, cleanup };
  } catch (e) {
    copy?.destroy();
    cleanup();
    throw e;
  }
}

function isUtf8Label(label: string): boolean {
  return ["utf8", "utf-8", "unicode-1-1-utf-8"].includes(label.trim().toLowerCase());
}

/** A decoder for `label`, or a UserError naming the option when no such encoding is known. */
export function textDecoder(label: string): TextDecoder {
  try {
    return new TextDecoder(label.trim());
  } catch {
    throw new UserError(
      "bad-encoding",
      `unknown encoding "${label}" (e.g. utf-8, latin1, windows-1252, utf-16le, shift_jis)`,
      "--encoding",
    );
  }
}

function readHead(path: string, n: number, position = 0): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, position));
  } finally {
    closeSync(fd);
  }
}

/** A Parquet file starts and ends with `PAR1`, and its footer (length just before the end) fits in the file. */
function checkParquet(path: string): void {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new UserError("empty-file", "is empty (0 bytes): nothing to import", path);
    const start = Buffer.alloc(4);
    const end = Buffer.alloc(8);
    readSync(fd, start, 0, 4, 0);
    const tail = size >= 12 ? readSync(fd, end, 0, 8, size - 8) : 0;
    const footer = end.readUInt32LE(0);
    const whole = tail === 8 && end.subarray(4).toString("latin1") === "PAR1" && footer + 12 <= size;
    if (start.toString("latin1") !== "PAR1")
      throw new UserError(
        "unreadable-file",
        "cannot be read as PARQUET: it is not a Parquet file (it does not start with PAR1)",
        path,
      );
    if (!whole)
      throw new UserError(
        "truncated-file",
        "is not a complete Parquet file: it ends early (its footer is missing), so no row of it is imported",
        path,
      );
  } finally {
    closeSync(fd);
  }
}

function gzipError(e: unknown, path: string): UserError {
  const message = String((e as Error).message ?? e);
  if ((e as { code?: string }).code === "Z_BUF_ERROR" || /unexpected end/i.test(message))
    return new UserError(
      "truncated-file",
      "ends early: its gzip stream is cut short (the file is truncated), so no row of it is imported",
      path,
    );
  return new UserError("corrupt-file", `is corrupt: its gzip data cannot be decompressed (${message})`, path);
}
