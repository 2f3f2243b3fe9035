import { useState } from "preact/hooks";
import { get } from "../../api";
import { type Column, DataTable } from "../../components/data-table";
import { ErrorBox, Loading } from "../../components/status";
import { formatCount } from "../../format";
import { useLoad } from "../../hooks";
import type { AuditEntry, AuditPage } from "./types";

/**
 * A stretch of the audit log (`GET /api/privacy/audit-log/entries`), newest first, a page at a time, with buttons
 * for the pages before and after; `choose` adds a filter by action (the actions the log holds, with their counts).
 * `version` changes when the view wrote something the log records (an erasure), to read it again.
 */
export function AuditEntries({
  id,
  caption,
  columns,
  actions,
  choose,
  pageSize,
  version,
}: {
  id: string;
  caption: string;
  columns: readonly Column<AuditEntry>[];
  /** Only these actions (none: every entry, or the one chosen). */
  actions?: readonly string[];
  choose?: boolean;
  pageSize: number;
  version: number;
}) {
  const [chosen, setChosen] = useState("");
  const [offset, setOffset] = useState(0);
  const filter = actions ?? (chosen ? [chosen] : []);
  const page = useLoad(
    async (signal) => ({
      ...(await get<AuditPage>(
        "/api/privacy/audit-log/entries",
        { actions: filter.length ? filter : undefined, offset, limit: pageSize },
        signal,
      )),
      // What is shown is described by the offset it was read at, not one asked for since.
      offset,
    }),
    [filter.join(","), offset, pageSize, version],
  );
  const p = page.data;
  const last = p ? Math.min(p.offset + p.entries.length, p.total) : 0;
  return (
    <div class="audit-entries" aria-busy={page.loading ? "true" : undefined}>
      {choose ? (
        <div class="controls">
          <div>
            <label for={`${id}-action`}>Action</label>
            <select
              id={`${id}-action`}
              value={chosen}
              onChange={(e) => {
                setChosen((e.target as HTMLSelectElement).value);
                setOffset(0);
              }}
            >
              <option value="">Every action</option>
              {(p?.actions ?? []).map((a) => (
                <option value={a.action}>
                  {a.action} ({formatCount(a.entries)})
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : null}
      {page.error ? (
        <ErrorBox error={page.error} />
      ) : !p ? (
        <Loading what="the audit log" />
      ) : (
        <>
          <DataTable caption={caption} id={id} rows={p.entries} columns={columns} />
          <nav class="pager" aria-label={`Pages of ${caption.toLowerCase()}`}>
            <button
              type="button"
              class="secondary"
              disabled={p.offset === 0}
              onClick={() => setOffset(Math.max(0, p.offset - pageSize))}
            >
              Newer
            </button>
            <span aria-live="polite" data-figure={`${id}-range`}>
              {p.total === 0
                ? "No entries"
                : `${formatCount(p.offset + 1)}–${formatCount(last)} of ${formatCount(p.total)}`}
            </span>
            <button
              type="button"
              class="secondary"
              disabled={last >= p.total}
              onClick={() => setOffset(p.offset + pageSize)}
            >
              Older
            </button>
          </nav>
        </>
      )}
    </div>
  );
}
