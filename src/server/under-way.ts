/**
 * The write a background task of the server has under way, for another task to wait for: loads of tracked events
 * and live refreshes take turns (serve.ts), each waiting for the other's write to end before it takes what it
 * works on. Only the write itself counts, not the wait for a turn, so two tasks waiting for each other never
 * deadlock: both go on, and the store's write queue orders them.
 */
export class UnderWay {
  private work: Promise<unknown> | null = null;

  /** Marks `work` as under way until it settles; answers it, as it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.work = work;
    return work.finally(() => {
      if (this.work === work) this.work = null;
    });
  }

  /** Resolves once no write is under way (a failed one included). */
  async settled(): Promise<void> {
    while (this.work) await this.work.catch(() => undefined);
  }
}
