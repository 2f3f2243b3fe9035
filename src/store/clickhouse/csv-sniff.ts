import { closeSync, openSync, readSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import type { CsvLayout, FileReadSpec } from "../engine.js";

/** How much of a file the sniffer reads: enough for a hundred rows of any real export. */
const SAMPLE_BYTES = 1 << 20;
const SAMPLE_ROWS = 100;
const CANDIDATES = [",", ";", "\t", "|"] as const;

/**
 * The first bytes of a file as text, decompressed when it is gzip (ClickHouse's reader decompresses by
 * extension). Bytes that are not UTF-8 make it no text file: an error, as DuckDB's reader gives.
 */
export function head(path: string): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const n = readSync(fd, buf, 0, SAMPLE_BYTES, 0);
    const read = buf.subarray(0, n);
    const gzip = read[0] === 0x1f && read[1] === 0x8b;
    // A partial stream: flush what decompresses, without asking for the end.
    const bytes = gzip ? gunzipSync(read, { finishFlush: constants.Z_SYNC_FLUSH }) : read;
    // A sample may end inside a character: only whole lines are checked.
    const whole = !gzip && n < SAMPLE_BYTES ? bytes : bytes.subarray(0, bytes.lastIndexOf(10) + 1);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(whole);
    } catch {
      throw new Error("the file is not UTF-8 text");
    }
    return bytes.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * RFC 4180 records (quoted fields may hold the delimiter, quotes doubled, newlines); the last may be cut off.
 * `open` tells whether the text ended inside a quoted field.
 */
export function parseRecords(
  text: string,
  delimiter: string,
  limit: number,
): string[][] & { open?: boolean } {
  const records: string[][] & { open?: boolean } = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length && records.length < limit; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === delimiter) {
      record.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      record.push(field);
      if (!(record.length === 1 && record[0] === "")) records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if ((field !== "" || record.length > 0) && records.length < limit) records.push([...record, field]);
  records.open = quoted;
  return records;
}

const looksLikeData = (v: string) => {
  const t = v.trim();
  return (
    t !== "" &&
    (!Number.isNaN(Number(t)) || /^\d{4}-\d{2}-\d{2}/.test(t) || /^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}/.test(t))
  );
};

/**
 * The layout of a delimited text file, found in JavaScript (ClickHouse's readers have no sniffer): the delimiter
 * that splits the sampled rows into the same number of fields (the most fields when several do), and a header
 * when the first row holds no number or date. Columns of a file without a header are `column0`, `column1`, …
 * as DuckDB's sniffer names them; repeated or empty header names are made unique the same way.
 */
export function sniffCsvFile(spec: FileReadSpec): CsvLayout {
  const text = head(spec.path).replace(/^\uFEFF/, "");
  // Without the end of the sample, its last row may be cut short: it does not vote.
  const complete = text.length < SAMPLE_BYTES;
  let best: { delimiter: string; rows: string[][]; score: number } | null = null;
  for (const delimiter of spec.delimiter !== undefined ? [spec.delimiter] : CANDIDATES) {
    const all = parseRecords(text, delimiter, SAMPLE_ROWS);
    const rows = complete || all.length < 2 ? all : all.slice(0, -1);
    const widths = rows.map((r) => r.length);
    const first = widths[0] ?? 0;
    const consistent = widths.filter((w) => w === first).length / Math.max(1, widths.length);
    // Consistent splits first, then more fields. A quote left open at the end of the whole file rules the split
    // out (DuckDB's sniffer then reads the lines whole, as one column).
    const unterminated = complete && all.length < SAMPLE_ROWS && all.open === true;
    const score = unterminated ? -1 : (first > 1 ? 1 : 0) * 1000 + consistent * 100 + Math.min(first, 99);
    if (best === null || score > best.score) best = { delimiter, rows, score };
  }
  const rows = best?.rows ?? [];
  // A file with no data at all has one column, as DuckDB's sniffer finds (a header when it has lines at all).
  const width = Math.max(1, ...rows.map((r) => r.length));
  const firstRow = rows[0] ?? [];
  const header = spec.header ?? (rows.length > 0 ? !firstRow.some(looksLikeData) : text.length > 0);
  const seen = new Map<string, number>();
  const columns = Array.from({ length: width }, (_, i) => {
    const raw = header ? (firstRow[i] ?? "") : "";
    const name = raw === "" ? `column${i}` : raw;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    return n === 0 ? name : `${name}_${n}`;
  });
  return { delimiter: best?.delimiter ?? ",", header, skip: 0, columns };
}

/** True when a JSON file holds no value at all (nothing, or an empty array): DuckDB reads it as a column `json`. */
export function jsonFileIsEmpty(path: string): boolean {
  const text = head(path);
  return text.length < SAMPLE_BYTES && /^\s*(\[\s*\])?\s*$/.test(text);
}
