import { isUtf8 } from "node:buffer";
import { UserError } from "../errors.js";

/**
 * The longest line a delimited or NDJSON file may hold (bytes). DuckDB's CSV reader refuses lines over 2 MiB
 * (`max_line_size`) with a bare "CSV Error on Line"; ClickHouse's takes any. One limit, just under DuckDB's, makes
 * both engines refuse the same files with the same message, naming the line and the column.
 */
export const MAX_LINE_BYTES = 2_000_000;

const QUOTE = 0x22;
const LF = 0x0a;
const CANDIDATE_DELIMITERS = [",", ";", "\t", "|"];
const isBlank = (b: number) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;

/**
 * The byte-level checks of a text file, fed its (decompressed, UTF-8) bytes chunk by chunk: lines, their
 * length, the field each byte is in, a CSV quote's state, the first and last non-blank bytes (JSON's shape).
 */
export class TextScan {
  private line = 1;
  private lineBytes = 0;
  private field = 0;
  private inQuote = false;
  /** Inside a quote, a quote just seen: it closes the field unless another follows (`""`). */
  private quotePending = false;
  private quoteLine = 0;
  private quoteField = 0;
  private prev = LF;
  private first = -1;
  private afterBracket = -1;
  private last = -1;
  private carry: Buffer = Buffer.alloc(0);
  private jStarted = false;
  private jOff = false;
  private jDepth = 0;
  private jString = false;
  private jEscape = false;
  private jNeedRow = false;
  private header: string[] | null = null;
  private delimiter: number;

  constructor(
    private readonly path: string,
    /** A CSV's delimiter (undefined: guessed from the first line), "whitespace", or "json". */
    private readonly mode: string | undefined,
    private readonly checkUtf8: boolean,
  ) {
    this.delimiter = mode !== undefined && mode.length === 1 ? mode.charCodeAt(0) : -1;
  }

  private get csv(): boolean {
    return this.mode !== "json" && this.mode !== "whitespace";
  }

  feed(input: Buffer): void {
    if (input.length === 0) return;
    let chunk = this.carry.length > 0 ? Buffer.concat([this.carry, input]) : input;
    this.carry = Buffer.alloc(0);
    if (this.header === null) {
      if (
        this.checkUtf8 &&
        ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))
      )
        throw new UserError(
          "bad-encoding",
          `is UTF-16 text, not UTF-8 (it starts with a UTF-16 byte-order mark): add --encoding utf-16${chunk[0] === 0xff ? "le" : "be"}`,
          this.path,
        );
      // A byte-order mark is no part of the text.
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      this.readHeader(chunk);
    }
    let end = chunk.length;
    let bad = -1;
    if (this.checkUtf8) {
      // A character may straddle two chunks: its first bytes wait for the next one.
      const cut = incompleteTail(chunk);
      this.carry = Buffer.from(chunk.subarray(cut));
      chunk = chunk.subarray(0, cut);
      end = cut;
      if (!isUtf8(chunk)) {
        bad = firstInvalidUtf8(chunk);
        end = bad;
      }
    }
    this.walk(chunk, end);
    if (bad >= 0) {
      const byte = (chunk[bad] ?? 0).toString(16).toUpperCase().padStart(2, "0");
      throw new UserError(
        "bad-encoding",
        `is not UTF-8 text: ${this.where()} holds the byte 0x${byte}; if the file is Latin-1 or Windows-1252 (Excel's default), add --encoding latin1 or --encoding windows-1252 (or convert it to UTF-8)`,
        this.path,
      );
    }
  }

  /** Whether the scan is at the end of a complete character (the carried bytes are a cut-off one). */
  finish(format: "csv" | "json" | "parquet"): boolean {
    if (this.carry.length > 0) {
      throw new UserError(
        "bad-encoding",
        `is not UTF-8 text: ${this.where()} ends inside a character (the file is cut short)`,
        this.path,
      );
    }
    if (this.first < 0)
      throw new UserError(
        "empty-file",
        format === "json" ? "is empty: no rows to import" : "is empty: no header and no rows to import",
        this.path,
      );
    if (this.inQuote && !this.quotePending) {
      throw new UserError(
        "truncated-file",
        `line ${this.quoteLine}${this.columnName(this.quoteField)}: a quoted field opens here and never closes; the file ends inside it (it is cut short, or a closing quote is missing), so no row of it is imported`,
        this.path,
      );
    }
    if (format !== "json") return false;
    const [open, close] = [String.fromCharCode(this.first), String.fromCharCode(this.last)];
    if (open === "[") {
      if (this.afterBracket === 0x5d) return true; // []
      if (close !== "]" || this.jDepth > 0 || this.jString)
        throw new UserError(
          "truncated-file",
          `ends early: the JSON array is not closed at line ${this.line} (the file is cut short), so no row of it is imported`,
          this.path,
        );
      return false;
    }
    if (open !== "{")
      throw new UserError(
        "not-rows",
        `is not JSON rows: it starts with ${JSON.stringify(open)} where an array of objects or one object per line (NDJSON) starts with [ or {`,
        this.path,
      );
    if (close !== "}" || this.jDepth > 0 || this.jString)
      throw new UserError(
        "truncated-file",
        `ends early: its last line (${this.line}) is not a complete JSON object (the file is cut short), so no row of it is imported`,
        this.path,
      );
    return false;
  }

  private where(): string {
    return `line ${this.line}${this.csv ? this.columnName(this.field) : ""}`;
  }

  /** `, column 3 (note)`: 1-based, with the first line's name for it when there is one. */
  private columnName(field: number): string {
    if (!this.csv) return "";
    const name = this.header?.[field];
    return `, column ${field + 1}${name ? ` (${name})` : ""}`;
  }

  /** The first line's fields, for naming columns in messages, and the delimiter when none was given. */
  private readHeader(chunk: Buffer): void {
    const nl = chunk.indexOf(LF);
    const text = chunk
      .subarray(0, nl < 0 ? Math.min(chunk.length, 65536) : Math.min(nl, 65536))
      .toString("utf8")
      .replace(/\r$/, "");
    if (this.delimiter < 0 && this.csv) {
      const counts = CANDIDATE_DELIMITERS.map((d) => text.split(d).length);
      const best = counts.indexOf(Math.max(...counts));
      this.delimiter = (CANDIDATE_DELIMITERS[best] ?? ",").charCodeAt(0);
    }
    this.header =
      this.delimiter >= 0
        ? text.split(String.fromCharCode(this.delimiter)).map((h) => h.replace(/^"|"$/g, ""))
        : [];
  }

  private walk(chunk: Buffer, end: number): void {
    if (this.mode === "json") {
      for (let i = 0; i < end; i++) this.jsonStep(chunk[i] as number);
      return;
    }
    // Delimited text, the bulk of imports: the state in plain locals while the bytes go by (no closure may capture
    // them: V8 would keep them on the heap), written back at the end. The whole check of a 280 MB file takes 2.1 s
    // of CPU so (reading it 0.6 s), against 2.8 s with the state read and written on the object at every byte.
    const csv = this.csv;
    const delimiter = this.delimiter;
    let line = this.line;
    let lineBytes = this.lineBytes;
    let field = this.field;
    let inQuote = this.inQuote;
    let quotePending = this.quotePending;
    let prev = this.prev;
    let first = this.first;
    let last = this.last;
    let tooLong = false;
    for (let i = 0; i < end; i++) {
      const b = chunk[i] as number;
      if (b === LF) {
        line++;
        lineBytes = 0;
      } else if (++lineBytes > MAX_LINE_BYTES) {
        tooLong = true;
        break;
      }
      if (!isBlank(b)) {
        if (first < 0) first = b;
        last = b;
      }
      if (csv) {
        if (quotePending) {
          quotePending = false;
          if (b === QUOTE) {
            prev = b;
            continue; // "" inside a quoted field: a quote
          }
          inQuote = false;
        }
        if (inQuote) {
          if (b === QUOTE) quotePending = true;
        } else if (b === QUOTE) {
          // Only a quote that starts a field opens one: `12" pizza` is text.
          if (prev === LF || prev === 0x0d || prev === delimiter) {
            inQuote = true;
            this.quoteLine = line;
            this.quoteField = field;
          }
        } else if (b === delimiter) field++;
        else if (b === LF) field = 0;
      }
      prev = b;
    }
    this.line = line;
    this.lineBytes = lineBytes;
    this.field = field;
    this.inQuote = inQuote;
    this.quotePending = quotePending;
    this.prev = prev;
    this.first = first;
    this.last = last;
    if (tooLong) this.tooLong();
  }

  /** One byte of a JSON file: lines and their length, the first and last bytes, then its structure. */
  private jsonStep(b: number): void {
    if (b === LF) {
      this.line++;
      this.lineBytes = 0;
    } else if (++this.lineBytes > MAX_LINE_BYTES && this.first !== 0x5b) {
      // A JSON array may be one line (minified): its rows are not lines.
      this.tooLong();
    }
    if (!isBlank(b)) {
      if (this.first < 0) this.first = b;
      else if (this.afterBracket < 0 && this.first === 0x5b) this.afterBracket = b;
      this.last = b;
    }
    this.jsonByte(b);
  }

  /**
   * JSON's structure, as far as rows go: strings skipped, depth counted, and every row — a value at the top
   * (NDJSON) or in the top array — must be an object. DuckDB reads rows that are not all objects as one column
   * `json`; ClickHouse fails with a message that names neither the line nor the row.
   */
  private jsonByte(b: number): void {
    if (this.jString) {
      if (this.jEscape) this.jEscape = false;
      else if (b === 0x5c) this.jEscape = true;
      else if (b === QUOTE) this.jString = false;
      return;
    }
    if (isBlank(b) || this.jOff) return;
    if (!this.jStarted) {
      this.jStarted = true;
      // Not an array or an object: `finish` says what the file starts with.
      if (b !== 0x5b && b !== 0x7b) {
        this.jOff = true;
        return;
      }
      if (b === 0x5b) {
        this.jDepth = 1;
        this.jNeedRow = true;
        return;
      }
    }
    const arrayFile = this.first === 0x5b;
    if (arrayFile && this.jDepth === 0)
      throw new UserError("not-rows", `line ${this.line}: holds more after its JSON array ends`, this.path);
    const rowStart = arrayFile ? this.jDepth === 1 && this.jNeedRow : this.jDepth === 0;
    if (rowStart && b !== 0x7b && !(arrayFile && b === 0x5d))
      throw new UserError(
        "not-rows",
        `line ${this.line}: holds a row that is not a JSON object; each row must be an object whose keys are the columns`,
        this.path,
      );
    if (rowStart) this.jNeedRow = false;
    if (b === 0x7b || b === 0x5b) this.jDepth++;
    else if (b === 0x7d || b === 0x5d) this.jDepth--;
    else if (b === QUOTE) this.jString = true;
    else if (b === 0x2c && arrayFile && this.jDepth === 1) this.jNeedRow = true;
  }

  private tooLong(): never {
    throw new UserError(
      "line-too-long",
      `line ${this.line}${this.columnName(this.field)}: the line is longer than ${MAX_LINE_BYTES.toLocaleString("en-US")} bytes, the most a row may hold (a missing quote or line break, or a value too large to import)`,
      this.path,
    );
  }
}

/** Where the last, possibly incomplete, UTF-8 character of `b` starts (b.length when it is complete). */
function incompleteTail(b: Buffer): number {
  for (let i = b.length - 1; i >= Math.max(0, b.length - 4); i--) {
    const c = b[i] as number;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return i + need > b.length ? i : b.length;
  }
  return b.length;
}

/** The offset of the first byte of `b` that is not part of well-formed UTF-8 (only called when there is one). */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    const need =
      c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (need === 0) return i;
    if (!isUtf8(b.subarray(i, i + need))) return i;
    i += need;
  }
  return b.length;
}
