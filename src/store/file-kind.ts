/**
 * What a file is, from its first bytes (and its name, for text): for messages that refuse a file given in the
 * wrong place ("x.csv is a text file (CSV?), not a DuckDB database"). A guess for people, never a decision.
 */

/** How many leading bytes `describeFile` looks at. */
export const FILE_HEAD_BYTES = 4096;

const MAGIC: readonly (readonly [string | readonly number[], string])[] = [
  ["SQLite format 3\0", "an SQLite database"],
  ["PAR1", "a Parquet file"],
  [[0x1f, 0x8b], "a gzip-compressed file"],
  [[0x28, 0xb5, 0x2f, 0xfd], "a zstd-compressed file"],
  ["BZh", "a bzip2-compressed file"],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], "an xz-compressed file"],
  ["PK\x03\x04", "a zip archive (a spreadsheet such as .xlsx?)"],
  [[0xd0, 0xcf, 0x11, 0xe0], "an Office document (a spreadsheet such as .xls?)"],
  ["ARROW1", "an Arrow file"],
  ["Obj\x01", "an Avro file"],
  ["%PDF", "a PDF document"],
  [[0x89, 0x50, 0x4e, 0x47], "a PNG image"],
  [[0xff, 0xd8, 0xff], "a JPEG image"],
  [[0x7f, 0x45, 0x4c, 0x46], "a program (ELF)"],
];

function startsWith(head: Uint8Array, magic: string | readonly number[]): boolean {
  const bytes = typeof magic === "string" ? [...magic].map((c) => c.charCodeAt(0)) : magic;
  return bytes.length <= head.length && bytes.every((b, i) => head[i] === b);
}

/** Text: no NUL byte, and valid UTF-8 (a cut at the end of the head is allowed). */
function looksLikeText(head: Uint8Array): boolean {
  if (head.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - 3)));
    return true;
  } catch {
    return false;
  }
}

/** Which kind of text, from the first characters and the name: the formats Tessera imports first. */
function textKind(head: Uint8Array, name: string): string {
  const start = new TextDecoder().decode(head.subarray(0, 64)).trimStart();
  if (start.startsWith("{") || start.startsWith("[") || /\.(nd)?jsonl?$/i.test(name)) return "JSON";
  if (/\.(tsv|tab)$/i.test(name)) return "tab-separated";
  return "CSV";
}

/**
 * A phrase naming what a file holds ("an SQLite database", "a text file (CSV?)", "an empty file"), from its
 * first bytes (up to `FILE_HEAD_BYTES`) and its name.
 */
export function describeFile(head: Uint8Array, name: string): string {
  if (head.length === 0) return "an empty file";
  for (const [magic, what] of MAGIC) if (startsWith(head, magic)) return what;
  if (looksLikeText(head)) return `a text file (${textKind(head, name)}?)`;
  return "a file of a format Tessera does not know";
}
