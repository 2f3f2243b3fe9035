import { Card, ErrorBox, Loading } from "../../components/status";
import type { DefinitionCheck, LocatedIssue } from "./definition-check";

/** Where a problem is, as the builder shows it: its line and column in the text, or its place in the JSON. */
export const placeText = (i: LocatedIssue): string =>
  i.at ? `line ${i.at.line}, column ${i.at.column}` : i.path || "the document";

function Item({
  issue,
  level,
  onApply,
  onGoTo,
}: {
  issue: LocatedIssue;
  level: "error" | "warning";
  onApply: (i: LocatedIssue) => void;
  onGoTo: (i: LocatedIssue) => void;
}) {
  const s = issue.suggestion;
  return (
    <li class={`problem ${level}`} data-problem={level} data-path={issue.path}>
      <span class="level">{level === "error" ? "Problem" : "Warning"}</span>{" "}
      {issue.at ? (
        <button type="button" class="link where" onClick={() => onGoTo(issue)} title="Select it in the text">
          {placeText(issue)}
        </button>
      ) : (
        <code class="where">{placeText(issue)}</code>
      )}
      : <span class="message">{issue.message}</span>
      {s && s.replacement !== null ? (
        <>
          {" "}
          <button type="button" class="secondary suggestion" onClick={() => onApply(issue)}>
            Use {s.value}
          </button>
        </>
      ) : null}
    </li>
  );
}

/**
 * The check's problems (they stop a save) and warnings (a name or value never seen: saved all the same), each at
 * its place — a button that selects it in the text — with the fix it suggests, which one press applies.
 */
export function Problems({
  check,
  checking,
  error,
  source,
  onApply,
  onGoTo,
}: {
  check: DefinitionCheck | undefined;
  checking: boolean;
  error: Error | undefined;
  source: "text" | "json";
  onApply: (i: LocatedIssue) => void;
  onGoTo: (i: LocatedIssue) => void;
}) {
  const issues = check?.issues ?? [];
  const warnings = check?.warnings ?? [];
  const summary = !check
    ? ""
    : issues.length === 0 && warnings.length === 0
      ? "No problems: the definition can be saved."
      : `${issues.length === 0 ? "No problems" : `${issues.length} problem${issues.length === 1 ? "" : "s"}`}${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : ""}${source === "json" ? " (in the JSON)" : ""}.`;
  return (
    <Card title="Problems" id="problems" wide>
      {checking ? <Loading what="the check" /> : null}
      {error ? <ErrorBox error={error} /> : null}
      <p id="problems-summary" class={issues.length ? "error" : "good"} aria-live="polite">
        {summary}
      </p>
      {issues.length + warnings.length > 0 ? (
        <ul class="problems">
          {issues.map((i) => (
            <Item issue={i} level="error" onApply={onApply} onGoTo={onGoTo} />
          ))}
          {warnings.map((i) => (
            <Item issue={i} level="warning" onApply={onApply} onGoTo={onGoTo} />
          ))}
        </ul>
      ) : null}
    </Card>
  );
}
