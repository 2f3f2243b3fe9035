import { post } from "../../api";
import { DataTable } from "../../components/data-table";
import { Card, ErrorBox, Loading } from "../../components/status";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { onLinkClick } from "../../router";
import type { DefinitionCheck } from "../builder/definition-check";
import { Highlighted } from "../builder/highlighted";

export interface Version {
  readonly version: number;
  readonly definition: unknown;
  readonly createdAt: string;
}

/**
 * The segment's latest definition in the text form (printed by the API: POST /api/segments/check) and as JSON,
 * with its versions, and a link that opens it in the builder.
 */
export function DefinitionCard({ id, versions }: { id: string; versions: readonly Version[] }) {
  const latest = versions[0];
  const printed = useLoad(
    (signal) =>
      latest ? post<DefinitionCheck>("/api/segments/check", { definition: latest.definition }, signal) : null,
    [latest],
  );
  return (
    <Card title="Definition" id="definition">
      {printed.error ? <ErrorBox error={printed.error} /> : null}
      {!latest ? null : printed.loading ? (
        <Loading what="the definition" />
      ) : printed.data?.text ? (
        <pre class="definition" data-definition="text">
          <Highlighted text={printed.data.text} />
        </pre>
      ) : null}
      <details>
        <summary>As JSON</summary>
        <pre class="definition" data-definition="json">
          {JSON.stringify(latest?.definition ?? null, null, 2)}
        </pre>
      </details>
      <p>
        <a href={`/builder?from=${encodeURIComponent(id)}`} onClick={onLinkClick}>
          Edit in the builder
        </a>
      </p>
      <DataTable
        caption="Versions, newest first"
        id="versions"
        rows={versions}
        columns={[
          { label: "Version", value: (v) => v.version, numeric: true },
          { label: "Saved", value: (v) => formatTime(v.createdAt) },
        ]}
      />
    </Card>
  );
}
