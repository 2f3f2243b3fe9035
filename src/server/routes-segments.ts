import {
  segmentAddOperation,
  segmentDiffOperation,
  segmentExplainOperation,
  segmentHistoryOperation,
  segmentListOperation,
  segmentMeceExclusiveOperation,
  segmentMeceOperation,
  segmentMembersOperation,
  segmentOverlapOperation,
  segmentPreviewOperation,
  segmentRefreshOperation,
  segmentRemoveOperation,
  segmentShowOperation,
} from "../operations/index.js";
import { segmentCheckOperation } from "../operations/segment-check-operations.js";
import type { Route } from "./route.js";

// Segments: definitions, their checks and comparisons, members and history.

/** Segments: saved, previewed, checked, compared and refreshed; their members, history and explanations. */
export const SEGMENT_ROUTES: readonly Route[] = [
  { method: "GET", path: "/api/segments", op: segmentListOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/segments", op: segmentAddOperation, permission: "write:segments" },
  {
    method: "POST",
    path: "/api/segments/refresh",
    op: segmentRefreshOperation,
    permission: "write:segments",
  },
  {
    method: "POST",
    path: "/api/segments/preview",
    op: segmentPreviewOperation,
    permission: "read:aggregates",
  },
  { method: "POST", path: "/api/segments/check", op: segmentCheckOperation, permission: "read:aggregates" },
  { method: "POST", path: "/api/segments/diff", op: segmentDiffOperation, permission: "read:aggregates" },
  {
    method: "POST",
    path: "/api/segments/overlap",
    op: segmentOverlapOperation,
    permission: "read:aggregates",
  },
  { method: "POST", path: "/api/segments/mece", op: segmentMeceOperation, permission: "read:aggregates" },
  {
    method: "POST",
    path: "/api/segments/mece/exclusive",
    op: segmentMeceExclusiveOperation,
    permission: "write:segments",
  },
  { method: "GET", path: "/api/segments/{id}", op: segmentShowOperation, permission: "read:aggregates" },
  { method: "DELETE", path: "/api/segments/{id}", op: segmentRemoveOperation, permission: "write:segments" },
  {
    method: "GET",
    path: "/api/segments/{id}/members",
    op: segmentMembersOperation,
    // Only who consented to the purpose on the channel of the query (?purpose=…&channel=…): a marketer may ask.
    permission: "read:consented-people",
  },
  {
    method: "GET",
    path: "/api/segments/{id}/history",
    op: segmentHistoryOperation,
    permission: "read:people",
  },
  {
    method: "GET",
    path: "/api/segments/{id}/explain",
    op: segmentExplainOperation,
    permission: "read:aggregates",
  },
];
