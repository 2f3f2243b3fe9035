import { get } from "../../api";
import { useLoad } from "../../hooks";

/**
 * The k of the k-gate (the database's `min_group`: no secret, GET /api/privacy/settings), for the reports that
 * do not carry it (personas): what a suppressed cell's `<k` says.
 */
export function useMinGroup(): number | undefined {
  const settings = useLoad(
    (signal) =>
      get<{ settings: { name: string; value: unknown }[] }>("/api/privacy/settings", undefined, signal),
    [],
  );
  const k = settings.data?.settings.find((s) => s.name === "min_group")?.value;
  return typeof k === "number" ? k : undefined;
}
