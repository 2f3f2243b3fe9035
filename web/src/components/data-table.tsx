import type { ComponentChildren } from "preact";
import { suppressedText } from "../format";

export interface Column<Row> {
  readonly label: string;
  /** The cell's value; null for a cell the k-gate suppressed (with `suppressed` true). */
  readonly value: (row: Row) => ComponentChildren;
  /** Whether the row's cell was suppressed (shown as `<k`, with a title saying why). */
  readonly suppressed?: (row: Row) => boolean;
  readonly numeric?: boolean;
}

/**
 * The numbers behind a picture, as a real table (a screen reader reads it by row and column): a caption, header
 * cells with scope, numbers aligned right, suppressed cells as `<k`.
 */
export function DataTable<Row>({
  caption,
  columns,
  rows,
  minGroup,
  id,
}: {
  caption: string;
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  /** The k of the k-gate, for the text of suppressed cells. */
  minGroup?: number;
  id?: string;
}) {
  return (
    <div class="table-wrap">
      <table data-table={id}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" class={c.numeric ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} class="muted">
                None yet.
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr>
                {columns.map((c, i) => {
                  const hidden = c.suppressed?.(row) ?? false;
                  const content = hidden ? (
                    <span class="suppressed" title={`fewer than ${minGroup ?? 10} people: suppressed`}>
                      {suppressedText(minGroup ?? 10)}
                    </span>
                  ) : (
                    c.value(row)
                  );
                  const cls = c.numeric ? "num" : undefined;
                  return i === 0 ? (
                    <th scope="row" class={cls}>
                      {content}
                    </th>
                  ) : (
                    <td class={cls}>{content}</td>
                  );
                })}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
