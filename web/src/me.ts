import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Me } from "./api";

/** Who is using the dashboard (GET /api/me), for views to ask only what the role may see. */
export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe outside the signed-in dashboard");
  return me;
}

/** Whether the caller's role has a permission (src/access/roles.ts: `read:people`, `write:segments` …). */
export function useCan(): (permission: string) => boolean {
  const me = useMe();
  return (permission) => me.permissions.includes(permission);
}
