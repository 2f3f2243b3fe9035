/**
 * Turns the generator's tab-separated events into events.parquet with the store's engine (an in-memory store of
 * its own, opened with `openSession`; the statement is the Dialect's `copyToParquet` over `readTabSeparated`).
 *
 * The generator writes events as tab-separated text (no quoting: generated values never
 * contain tabs or newlines; timestamps as epoch seconds, which become a UTC timestamp;
 * empty fields become NULL).
 *
 * Where the system has `mkfifo`, that text goes through a named pipe that the engine reads while
 * JavaScript is still generating: parsing and Parquet encoding run on the second core, nothing
 * but the pipe's buffer is held, and no multi-gigabyte temporary file is written. Otherwise it
 * goes to a temporary file converted at the end. The pipe is opened without blocking (once
 * the engine has it open) and written through the event loop like a socket, so no thread of
 * Node's pool ever waits on it. Either way the store is set up with `reproducibleFileWrites`
 * (one thread on DuckDB): with more, row-group boundaries depend on thread timing and the
 * file's bytes would differ from run to run (the rows would not), which breaks "same seed,
 * same bytes". */
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Socket } from "node:net";
import { join } from "node:path";
import type { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { ColumnDef } from "../store/engine.js";
import { openSession } from "../store/open-store.js";
import { sql } from "../store/sql.js";
import type { Session } from "../store/store.js";

/** Column names of events.parquet, in order. */
export const EVENT_COLUMNS = [
  "message_id",
  "timestamp",
  "type",
  "event",
  "user_id",
  "anonymous_id",
  "properties",
] as const;

/** The columns of the tab-separated input, in order (`ts`: whole seconds since 1970, UTC). */
const INPUT_COLUMNS: readonly ColumnDef[] = [
  { name: "message_id", type: "string" },
  { name: "ts", type: "integer" },
  { name: "type", type: "string" },
  { name: "event", type: "string" },
  { name: "user_id", type: "string" },
  { name: "anonymous_id", type: "string" },
  { name: "properties", type: "string" },
];

function copyStatement(session: Session, input: string, parquetPath: string) {
  const d = session.dialect;
  return d.copyToParquet(
    sql`SELECT message_id, ${d.timestampFromEpochSeconds(sql`ts`)} AS ${sql.ident("timestamp")}, type, event, user_id,
               anonymous_id, properties
          FROM ${d.readTabSeparated(input, INPUT_COLUMNS)}`,
    parquetPath,
  );
}

/** Opens and closes the write end of a FIFO so that a reader blocked in open() gets going (and sees EOF). */
function releaseReader(fifo: string): void {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // Nobody waiting on the other end: nothing to release.
  }
}

function makeFifo(path: string): boolean {
  if (process.platform === "win32") return false;
  try {
    execFileSync("mkfifo", ["-m", "600", path], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A conversion of generated events to Parquet. */
export class EventConversion {
  private settled = false;
  private failure: unknown = null;
  private running: Promise<void> | null = null;
  private closed = false;

  private constructor(
    /** Where the generator writes its tab-separated events. */
    readonly inputPath: string,
    /** True when the engine reads the events while they are written (a FIFO). */
    readonly streaming: boolean,
    private readonly parquetPath: string,
    private readonly session: Session,
  ) {}

  /**
   * Prepares the input in `dir` (a FIFO when possible, unless `pipe` is false) and, when
   * streaming, starts the engine on it.
   */
  static async start(
    dir: string,
    tempName: string,
    parquetPath: string,
    pipe = true,
  ): Promise<EventConversion> {
    const fifo = join(dir, `${tempName}.fifo`);
    const streaming = pipe && makeFifo(fifo);
    const inputPath = streaming ? fifo : join(dir, `${tempName}.tsv`);
    // A store of its own, in memory, set to write reproducible files.
    const session = await openSession(":memory:");
    try {
      await session.run(session.dialect.reproducibleFileWrites());
    } catch (e) {
      session.close();
      throw e;
    }
    const conversion = new EventConversion(inputPath, streaming, parquetPath, session);
    if (streaming) conversion.run();
    return conversion;
  }

  private run(): void {
    this.running = this.session.run(copyStatement(this.session, this.inputPath, this.parquetPath)).then(
      () => {
        this.settled = true;
      },
      (e: unknown) => {
        this.settled = true;
        this.failure = e;
      },
    );
  }

  /**
   * Where the generator writes: the temporary file's path, or, for a FIFO, a stream opened as
   * soon as the engine has opened the other end (polling a non-blocking open; a blocking one would
   * hang if the engine failed before opening it).
   */
  async openInput(): Promise<string | { name: string; stream: Writable }> {
    if (!this.streaming) return this.inputPath;
    for (;;) {
      this.check();
      try {
        const fd = openSync(this.inputPath, constants.O_WRONLY | constants.O_NONBLOCK);
        return { name: this.inputPath, stream: new Socket({ fd, readable: false, writable: true }) };
      } catch (e) {
        // ENXIO: nobody has the FIFO open for reading yet.
        if ((e as NodeJS.ErrnoException).code !== "ENXIO") throw e;
      }
      await sleep(2);
    }
  }

  /** The engine's error, once the conversion has failed. */
  get error(): unknown {
    return this.failure;
  }

  /** Throws the engine's error if the conversion has failed already. */
  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  /** Call once the event writer is closed: completes the Parquet file and cleans up. */
  async finish(): Promise<void> {
    try {
      if (!this.streaming) this.run();
      await this.running;
      if (this.failure !== null) throw this.failure;
    } finally {
      await this.close();
    }
    await rm(this.inputPath, { force: true });
  }

  /** Gives up: stops the engine (it sees the end of its input), removes the input and any partial output. */
  async abort(): Promise<void> {
    if (this.streaming && !this.settled) releaseReader(this.inputPath);
    await this.close();
    await rm(this.inputPath, { force: true });
    await rm(this.parquetPath, { force: true }).catch(() => {});
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.running;
    this.session.close();
  }
}
