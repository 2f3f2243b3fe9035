/**
 * Buffered, back-pressure-aware text output for large generated files.
 *
 * Rows are appended to an in-memory string and handed to an fs WriteStream in chunks of about
 * `chunkBytes` characters; `drain()` lets the producer pause when the stream's queue is full,
 * so memory stays bounded however large the file grows.
 */
import { createWriteStream, type WriteStream } from "node:fs";

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

/** A text file written in large chunks through a WriteStream. */
export class BufferedWriter {
  private readonly stream: WriteStream;
  private buffer = "";
  private failure: Error | null = null;
  /** Characters written so far (after the last flush). */
  written = 0;

  constructor(
    readonly path: string,
    private readonly chunkBytes = 1 << 20,
  ) {
    this.stream = createWriteStream(path, { encoding: "utf8", highWaterMark: 4 << 20 });
    this.stream.on("error", (e) => {
      this.failure = e;
    });
  }

  /** Appends text; flushes to the stream when the buffer is large. */
  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= this.chunkBytes) this.flush();
  }

  /** Hands the buffer to the stream. */
  flush(): void {
    if (this.failure !== null) throw this.failure;
    if (this.buffer.length === 0) return;
    this.written += this.buffer.length;
    this.stream.write(this.buffer);
    this.buffer = "";
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
}
