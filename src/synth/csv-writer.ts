/**
 * Buffered, back-pressure-aware text output for large generated files.
 *
 * Rows are appended to an in-memory string and handed to an fs WriteStream in chunks of about
 * `chunkBytes` characters; `drain()` lets the producer pause when the stream's queue is full,
 * so memory stays bounded however large the file grows.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field, RFC 4180: quoted (with doubled quotes) only when it must be. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line (with trailing "\n") from raw values; every value goes through csvField. */
export function csvLine(values: readonly string[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ",";
    line += csvField(values[i] as string);
  }
  return `${line}\n`;
}

/**
 * A text file written in large chunks through a WriteStream.
 *
 * Text is encoded straight into a preallocated Buffer, one row at a time. (Concatenating rows
 * into one big string first builds a deep rope that V8 must flatten before encoding, which was
 * half of the generator's run time.)
 */
export class BufferedWriter {
  private readonly stream: Writable;
  /** The file written to (or a description of the stream). */
  readonly path: string;
  private buffer: Buffer;
  private offset = 0;
  private failure: Error | null = null;
  /** Bytes handed to the stream so far. */
  written = 0;

  /** Writes to the file at `target`, or into an already open stream (a pipe). */
  constructor(
    target: string | { readonly name: string; readonly stream: Writable },
    private readonly chunkBytes = 1 << 20,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
    this.path = typeof target === "string" ? target : target.name;
    this.stream =
      typeof target === "string"
        ? createWriteStream(target, { highWaterMark: 4 * chunkBytes })
        : target.stream;
    this.stream.on("error", (e) => {
      this.failure = e;
    });
  }

  /** Appends text; hands a full chunk to the stream. */
  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8.
    if (this.offset + text.length * 3 > this.buffer.length) {
      this.flush();
      if (text.length * 3 > this.buffer.length) {
        this.push(Buffer.from(text, "utf8"));
        return;
      }
    }
    this.offset += this.buffer.write(text, this.offset, "utf8");
  }

  /** Hands the buffered bytes to the stream. */
  flush(): void {
    if (this.offset === 0) return;
    const chunk = this.buffer.subarray(0, this.offset);
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.offset = 0;
    this.push(chunk);
  }

  private push(chunk: Buffer): void {
    if (this.failure !== null) throw this.failure;
    this.written += chunk.length;
    this.stream.write(chunk);
  }

  /** Resolves once the stream has room again (immediately when it has). */
  async drain(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (!this.stream.writableNeedDrain) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off("error", onError);
        resolve();
      };
      const onError = (e: Error): void => {
        this.stream.off("drain", onDrain);
        reject(e);
      };
      this.stream.once("drain", onDrain);
      this.stream.once("error", onError);
    });
  }

  /** Flushes what is left and closes the file. */
  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.end((e?: Error | null) => (e ? reject(e) : resolve()));
    });
    if (this.failure !== null) throw this.failure;
  }

  /** Abandons the file (after a failure elsewhere): releases the descriptor without flushing. */
  destroy(): void {
    this.stream.destroy();
  }
}
