import { useCallback, useEffect, useState } from "preact/hooks";

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  /** Runs the load again (after a change the view made). */
  readonly reload: () => void;
}

/**
 * Loads data for a view: runs `load` when `deps` change (aborting the previous run), and keeps the last result.
 * `load` returning null means "nothing to load" (a control not yet filled in, a permission the role lacks).
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T> | null,
  deps: readonly unknown[],
): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    const pending = load(controller.signal);
    if (pending === null) {
      setState({ loading: false });
      return () => controller.abort();
    }
    setState((s) => ({ ...s, loading: true }));
    pending.then(
      (data) => !controller.signal.aborted && setState({ data, loading: false }),
      (error: Error) =>
        !controller.signal.aborted && error.name !== "AbortError" && setState({ error, loading: false }),
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
