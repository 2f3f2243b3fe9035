import { currentKey } from "./key";

/** An answer of the API other than 2xx: `{"error": {"code", "message", "path"}}` (src/server/http-errors.ts). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the error is about (`definition.where.all.0`), when it names one. */
    readonly path: string | null,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    params.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** Calls the HTTP API with the dashboard's key; the parsed JSON answer, or an `ApiError`. */
export async function call<T>(
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: { query?: Query; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const key = currentKey();
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(withQuery(path, options.query), {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; path?: string | null } } | null)?.error;
    throw new ApiError(res.status, e?.code ?? "http", e?.message ?? res.statusText, e?.path ?? null);
  }
  return json as T;
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  call<T>("GET", path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) });

export const post = <T>(path: string, body: unknown = {}, signal?: AbortSignal) =>
  call<T>("POST", path, { body, ...(signal ? { signal } : {}) });

/** The caller (GET /api/me): its key's id, name and role, and what the role may do. */
export interface Me {
  readonly id: string;
  readonly name: string;
  readonly role: "admin" | "analyst" | "marketer" | "ingest";
  readonly permissions: readonly string[];
}
