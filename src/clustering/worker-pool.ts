/**
 * Runs the tasks of one pass (`kmeans-tasks.ts`) on the main thread and, when there are any, on worker threads
 * that share the fit's state in shared memory. The main thread takes part: it claims tasks like the workers do,
 * then waits until every task is done. Threads claim tasks one at a time from a shared counter, so a slow thread
 * holds up a pass by at most one chunk.
 *
 * Synchronisation is by Atomics on a small Int32Array, not by messages: a fit runs dozens of passes, and the
 * main thread is blocked in them (a worker could not answer a message before the fit ends anyway). The claim
 * counter carries the pass's generation in its upper bits, so a thread that read an older pass's parameters can
 * never claim a task of a newer pass.
 */

/** Slots of the control array. */
const GEN = 0;
const NEXT = 1;
const DONE = 2;
const PHASE = 3;
const TASKS = 4;
const FAILED = 5;
/** Ints in the control array, then (as bytes) room for a worker's error message. */
const CONTROL_INTS = 8;
const MESSAGE_BYTES = 1_024;

/** The pass that sends the workers back to their message loop at the end of a fit. */
const QUIT = -1;
/** Tasks per pass at most (the claim counter's lower 16 bits). */
export const MAX_TASKS = 0xffff;

export type TaskRunner = (phase: number, task: number) => void;

/** A new control block (shared memory) for one fit. */
export function controlBlock(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_INTS * 4 + MESSAGE_BYTES);
}

/** Claims the next task of pass `gen`, or −1 when none is left or another pass has started. */
function claim(ctrl: Int32Array, gen: number, tasks: number): number {
  const tag = (gen & 0x7fff) << 16;
  for (;;) {
    const w = Atomics.load(ctrl, NEXT);
    if ((w & 0x7fff0000) !== tag) return -1;
    const t = w & 0xffff;
    if (t >= tasks) return -1;
    if (Atomics.compareExchange(ctrl, NEXT, w, w + 1) === w) return t;
  }
}

/** Runs tasks of pass `gen` until none is left; a failure is recorded in the block (the first one's message). */
function work(
  ctrl: Int32Array,
  message: Uint8Array,
  gen: number,
  phase: number,
  tasks: number,
  run: TaskRunner,
): void {
  for (let t = claim(ctrl, gen, tasks); t >= 0; t = claim(ctrl, gen, tasks)) {
    try {
      run(phase, t);
    } catch (e) {
      if (Atomics.compareExchange(ctrl, FAILED, 0, 1) === 0) {
        const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
        new TextEncoder().encodeInto(text.slice(0, MESSAGE_BYTES / 4), message);
      }
    }
    // Counted even after a failure, so that the main thread stops waiting and reports it.
    if (Atomics.add(ctrl, DONE, 1) + 1 === tasks) Atomics.notify(ctrl, DONE);
  }
}

/** The main thread's side: starts passes, takes part in them, waits for their end. */
export class Team {
  private readonly ctrl: Int32Array | null;
  private readonly message: Uint8Array | null;
  private gen = 0;
  private phase = 0;
  private tasks = 0;

  /** `control`: the block shared with the workers (null: this thread alone runs every task, in order). */
  constructor(
    private readonly run: TaskRunner,
    control: SharedArrayBuffer | null = null,
  ) {
    this.ctrl = control ? new Int32Array(control, 0, CONTROL_INTS) : null;
    this.message = control ? new Uint8Array(control, CONTROL_INTS * 4) : null;
  }

  /** Starts a pass of `tasks` tasks: the workers begin at once; the main thread joins at `finish`. */
  start(phase: number, tasks: number): void {
    if (tasks > MAX_TASKS) throw new Error(`a pass of ${tasks} tasks is more than ${MAX_TASKS}`);
    this.phase = phase;
    this.tasks = tasks;
    const ctrl = this.ctrl;
    if (!ctrl) return;
    this.gen++;
    // The claim counter first: from here on no thread can claim a task of the pass before.
    Atomics.store(ctrl, NEXT, (this.gen & 0x7fff) << 16);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, PHASE, phase);
    Atomics.store(ctrl, TASKS, tasks);
    Atomics.store(ctrl, GEN, this.gen);
    Atomics.notify(ctrl, GEN);
  }

  /** Takes part in the pass started last, and returns when all its tasks are done. */
  finish(): void {
    const ctrl = this.ctrl;
    if (!ctrl || !this.message) {
      for (let t = 0; t < this.tasks; t++) this.run(this.phase, t);
      return;
    }
    work(ctrl, this.message, this.gen, this.phase, this.tasks, this.run);
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= this.tasks) break;
      Atomics.wait(ctrl, DONE, done);
    }
    if (Atomics.load(ctrl, FAILED) !== 0) {
      const text = new TextDecoder().decode(this.message.slice()).replace(/\0+$/, "");
      throw new Error(`a k-means worker thread failed: ${text}`);
    }
  }

  /** A whole pass. */
  pass(phase: number, tasks: number): void {
    this.start(phase, tasks);
    this.finish();
  }

  /** Sends the workers back to their message loop (the end of a fit). */
  close(): void {
    if (this.ctrl) this.start(QUIT, 0);
  }
}

/** A worker's side: takes part in every pass until the main thread closes the team. */
export function serve(control: SharedArrayBuffer, run: TaskRunner): void {
  const ctrl = new Int32Array(control, 0, CONTROL_INTS);
  const message = new Uint8Array(control, CONTROL_INTS * 4);
  let seen = -1;
  for (;;) {
    const gen = Atomics.load(ctrl, GEN);
    if (gen !== seen) {
      seen = gen;
      const phase = Atomics.load(ctrl, PHASE);
      if (phase === QUIT) return;
      work(ctrl, message, gen, phase, Atomics.load(ctrl, TASKS), run);
    }
    Atomics.wait(ctrl, GEN, gen);
  }
}
