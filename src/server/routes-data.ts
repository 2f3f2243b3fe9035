import {
  auditOperation,
  auditRecordOperation,
  auditRunsOperation,
  importBatchOperation,
  importOperation,
  statsOperation,
  traitSetOperation,
  traitsOperation,
} from "../operations/index.js";
import { overviewOperation } from "../operations/overview-operations.js";
import type { Route } from "./route.js";

// The data held: counts, traits, imports (an upload or rows in the body) and the data-quality audit.

/** The store's figures, traits, imports and audit: `ROUTES` begins with these. */
export const DATA_ROUTES: readonly Route[] = [
  { method: "GET", path: "/api/stats", op: statsOperation, permission: "read:aggregates" },
  { method: "GET", path: "/api/overview", op: overviewOperation, permission: "read:aggregates" },
  { method: "GET", path: "/api/traits", op: traitsOperation, permission: "read:aggregates" },
  { method: "PATCH", path: "/api/traits/{name}", op: traitSetOperation, permission: "write:data" },
  {
    method: "POST",
    path: "/api/imports/{kind}",
    op: importOperation,
    permission: "write:data",
    upload: true,
  },
  { method: "POST", path: "/api/imports/{kind}/rows", op: importBatchOperation, permission: "write:data" },
  // Its findings give example ids.
  { method: "GET", path: "/api/audit", op: auditOperation, permission: "read:people" },
  { method: "GET", path: "/api/audit/runs", op: auditRunsOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/audit/runs", op: auditRecordOperation, permission: "write:data" },
];
