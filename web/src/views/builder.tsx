import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { get, post } from "../api";
import { Card, ErrorBox, Loading } from "../components/status";
import { formatCount, formatShare, suppressedText } from "../format";
import { useLoad } from "../hooks";
import { useCan, useMe } from "../me";
import { navigate } from "../router";
import { CodeEditor } from "./builder/code-editor";
import { useDebounced } from "./builder/debounce";
import {
  type DefinitionCheck,
  type LocatedIssue,
  type Preview,
  withValueAt,
} from "./builder/definition-check";
import type { Mark } from "./builder/highlighted";
import { rangeOf } from "./builder/positions";
import { Problems } from "./builder/problems";
import "./builder.css";

/**
 * The segment builder: the definition in its text form (coloured, its problems underlined where they are) and as
 * JSON, side by side, checked by the API as you type (POST /api/segments/check: the checks of a save, with each
 * problem's line and column), its live size (POST /api/segments/preview) once it is valid, and Save for a role
 * that may (write:segments).
 *
 * Which side leads: the one last typed in. Text typed is checked as text and the JSON side shows the document the
 * API parsed it to. JSON typed is parsed here first (a JSON syntax error stays on the JSON side, the text as it
 * was); a JSON document is checked as one, and the text side shows the text the API prints it as — comments and
 * line breaks of the earlier text are not kept. A document that has no text form yet (not well formed) leaves
 * the text as it was, marked as behind. Save sends the side that leads.
 */

const START = `id: new-segment
name: New segment
where: orders.count(365d) >= 2
  and consent("marketing", "email")
`;

type Source = "text" | "json";

interface SavedSegment {
  readonly id: string;
  readonly name: string;
}
interface SegmentShow {
  readonly versions: readonly { readonly definition: unknown }[];
}

const pretty = (doc: unknown) => `${JSON.stringify(doc, null, 2)}\n`;

/** A JSON text parsed, or the reason it is not JSON. */
function parseJson(text: string): { doc: unknown } | { error: string } {
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The marks of the problems and warnings that have a place in this text. */
function marksOf(text: string, check: DefinitionCheck | undefined): Mark[] {
  if (check?.form !== "text") return [];
  const mark = (level: Mark["level"]) => (i: LocatedIssue) =>
    i.at ? [{ ...rangeOf(text, i.at), level }] : [];
  return [...check.issues.flatMap(mark("error")), ...check.warnings.flatMap(mark("warning"))];
}

/** Starts from a saved segment's latest version: its JSON, which the check prints as text. */
function StartFrom({ onDocument }: { onDocument: (doc: unknown) => void }) {
  const list = useLoad((signal) => get<{ segments: SavedSegment[] }>("/api/segments", undefined, signal), []);
  const [chosen, setChosen] = useState("");
  const [error, setError] = useState<Error | null>(null);
  const load = async (id: string) => {
    setError(null);
    try {
      const s = await get<SegmentShow>(`/api/segments/${encodeURIComponent(id)}`);
      if (s.versions[0]) onDocument(s.versions[0].definition);
    } catch (e) {
      setError(e as Error);
    }
  };
  // Opened from a segment's page ("Edit in the builder"): that segment.
  useEffect(() => {
    const from = new URLSearchParams(window.location.search).get("from");
    if (from) {
      setChosen(from);
      void load(from);
    }
  }, []);
  return (
    <form
      class="inline"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen) void load(chosen);
      }}
    >
      <div>
        <label for="start-from">Start from a saved segment</label>
        <select
          id="start-from"
          value={chosen}
          onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}
        >
          <option value="">(a new one)</option>
          {(list.data?.segments ?? []).map((s) => (
            <option value={s.id}>
              {s.name} ({s.id})
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="secondary" disabled={!chosen}>
        Open
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}

function LiveSize({ preview, valid }: { preview: ReturnType<typeof useLoad<Preview>>; valid: boolean }) {
  const p = preview.data;
  return (
    <Card title="Live size" id="live-size">
      {!valid ? (
        <p class="muted">Shown once the definition has no problems.</p>
      ) : preview.error ? (
        <ErrorBox error={preview.error} />
      ) : !p || preview.loading ? (
        <Loading what="the size" />
      ) : (
        <div aria-live="polite">
          <p class="figure-big" data-figure="preview-size">
            {p.suppressed || p.size === null ? suppressedText(p.minGroup) : formatCount(p.size)}
          </p>
          <p>
            {p.suppressed
              ? `Suppressed: fewer than ${p.minGroup} people in it or outside it (privacy: min_group).`
              : `of ${formatCount(p.customers)} customers (${formatShare(p.share ?? 0)}), as of the last refresh; nothing is saved.`}
          </p>
          {p.sample.length > 0 ? (
            <p class="muted">
              For example: <span class="code">{p.sample.join(", ")}</span>
            </p>
          ) : null}
        </div>
      )}
    </Card>
  );
}

function Save({ definition, valid }: { definition: unknown; valid: boolean }) {
  const can = useCan();
  const me = useMe();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  if (!can("write:segments"))
    return (
      <Card title="Save" id="save">
        <p class="muted" data-why-not="save">
          Your key's role ({me.role}) does not have write:segments: it can check a definition and see its
          size, not save it. A marketer or an admin saves segments.
        </p>
      </Card>
    );
  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      const r = await post<{ id: string }>("/api/segments", { definition });
      navigate(`/segments/${encodeURIComponent(r.id)}`);
    } catch (e) {
      setError(e as Error);
      setSaving(false);
    }
  };
  return (
    <Card title="Save" id="save">
      <p class="muted" id="save-note">
        {valid
          ? "Saves it as the segment's next version (none if it is the same), evaluated at the next refresh."
          : "Fix the problems first: a definition with problems cannot be saved."}
      </p>
      <button type="button" onClick={save} disabled={!valid || saving} aria-describedby="save-note">
        {saving ? "Saving…" : "Save segment"}
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </Card>
  );
}

export default function BuilderView() {
  const [source, setSource] = useState<Source>("text");
  const [text, setText] = useState(START);
  const [json, setJson] = useState("");
  const textArea = useRef<HTMLTextAreaElement>(null);
  const [caret, setCaret] = useState({ line: 1, column: 1 });
  // Every edit (typing on either side, a suggestion applied, a saved segment opened) counts here, at once: a
  // check's answer updates the other side only if no edit came after what it checked. (The state alone would
  // not do: an effect may run with the state of a render before an edit that has just happened.)
  const edits = useRef(0);
  // The count as state too: what is typed is a new value at every edit, even one that leaves the text as it was.
  const [editCount, setEditCount] = useState(0);
  const edit = (side: Source, value: string) => {
    edits.current += 1;
    setEditCount(edits.current);
    setSource(side);
    (side === "text" ? setText : setJson)(value);
  };

  // What is checked: the side that leads, as typed (a JSON side that is not JSON is not sent).
  const typed = useMemo(
    () =>
      source === "text"
        ? { source, edit: edits.current, definition: text as unknown, jsonError: null }
        : (() => {
            const p = parseJson(json);
            return "doc" in p
              ? { source, edit: edits.current, definition: p.doc, jsonError: null }
              : { source, edit: edits.current, definition: undefined, jsonError: p.error };
          })(),
    [source, source === "text" ? text : json, editCount],
  );
  const settled = useDebounced(typed, 300);
  const pending = settled !== typed;
  const check = useLoad(
    (signal) =>
      settled.definition === undefined
        ? null
        : post<DefinitionCheck>("/api/segments/check", { definition: settled.definition }, signal).then(
            (result) => ({ input: settled, result }),
          ),
    [settled],
  );
  const checked = check.data && check.data.input === settled ? check.data : undefined;
  const result = checked?.result;

  // The other side follows the checked one, unless more has been typed since (or the other side took the lead).
  useEffect(() => {
    if (!checked || checked.input.edit !== edits.current) return;
    const { input, result: r } = checked;
    if (input.source === "text" && r.document !== null) setJson(pretty(r.document));
    if (input.source === "json" && r.text !== null) setText(r.text);
  }, [checked]);

  const valid = !pending && result?.valid === true;
  const preview = useLoad(
    (signal) =>
      valid && checked
        ? post<Preview>("/api/segments/preview", { definition: checked.input.definition }, signal)
        : null,
    [valid, checked],
  );

  const textBehind =
    source === "json" && (typed.jsonError !== null || (result !== undefined && result.text === null));
  const apply = (issue: LocatedIssue) => {
    const replacement = issue.suggestion?.replacement;
    if (replacement == null) return;
    // Applied to the side the problem was found in, while it still leads.
    if (result?.form === "text" && source === "text" && issue.at) {
      const { start, end } = rangeOf(text, issue.at);
      edit("text", text.slice(0, start) + replacement + text.slice(end));
      textArea.current?.focus();
    } else if (result?.form === "json" && source === "json" && typed.definition !== undefined) {
      edit("json", pretty(withValueAt(typed.definition, issue.path, replacement)));
    }
  };
  const goTo = (issue: LocatedIssue) => {
    const area = textArea.current;
    if (!area || !issue.at) return;
    const { start, end } = rangeOf(text, issue.at);
    area.focus();
    area.setSelectionRange(start, Math.max(end, start));
  };

  return (
    <>
      <div class="view-head">
        <h1>Segment builder</h1>
        <StartFrom
          onDocument={(doc) => {
            edit("json", pretty(doc));
          }}
        />
      </div>
      <Card title="Text form" id="text-form">
        <label for="definition-text" class="sr-only">
          The definition in the text form
        </label>
        <CodeEditor
          id="definition-text"
          areaRef={textArea}
          value={text}
          onInput={(t) => {
            edit("text", t);
          }}
          marks={source === "text" ? marksOf(text, result) : []}
          invalid={source === "text" && (result?.issues.length ?? 0) > 0}
          describedBy="problems-summary"
          onCaret={setCaret}
        />
        <p class="muted caret" aria-live="off">
          Line {caret.line}, column {caret.column}
          {textBehind ? (
            <span class="behind"> · behind the JSON, which leads: fix the JSON to bring it up to date</span>
          ) : null}
        </p>
        <details>
          <summary>How to write a condition</summary>
          <ul class="syntax">
            <li>
              <code>country in ("DE", "FR")</code>, <code>age between 30 and 40</code>,{" "}
              <code>email exists</code>: traits
            </li>
            <li>
              <code>orders.count(365d) &gt;= 2</code>, <code>orders.sum(total, 6m) &gt; 500</code>,{" "}
              <code>orders.days_since_last() &gt; 90</code>
            </li>
            <li>
              <code>count(event "Product Viewed", 30d, device = "mobile") &gt;= 3</code>,{" "}
              <code>has(event "Signed Up")</code>
            </li>
            <li>
              <code>consent("marketing", "email")</code>, <code>segment("champions")</code>,{" "}
              <code>computed("rfm_segment") = "Champions"</code>
            </li>
            <li>
              <code>and</code>, <code>or</code>, <code>not</code> and parentheses combine them.
            </li>
          </ul>
        </details>
      </Card>
      <Card title="JSON form" id="json-form">
        <label for="definition-json" class="sr-only">
          The definition as JSON
        </label>
        <CodeEditor
          id="definition-json"
          value={json}
          onInput={(t) => {
            edit("json", t);
          }}
          marks={[]}
          highlighted={false}
          invalid={source === "json" && (typed.jsonError !== null || (result?.issues.length ?? 0) > 0)}
          describedBy="problems-summary"
        />
        <p class="muted caret">
          {source === "json"
            ? "The JSON leads: the text follows it."
            : "Follows the text, as the API parsed it."}
        </p>
        {source === "json" && typed.jsonError ? (
          <p class="error" role="alert" data-json-error>
            Not JSON: {typed.jsonError}
          </p>
        ) : null}
      </Card>
      <Problems
        check={result}
        checking={pending || check.loading}
        error={check.error}
        source={source}
        onApply={apply}
        onGoTo={goTo}
      />
      <LiveSize preview={preview} valid={valid} />
      <Save definition={checked?.input.definition} valid={valid} />
    </>
  );
}
