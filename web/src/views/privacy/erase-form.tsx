import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, post } from "../../api";
import { DataTable } from "../../components/data-table";
import { ErrorBox } from "../../components/status";
import { formatCount, formatNumber } from "../../format";
import type { ErasureResult } from "./types";

type Step =
  | { readonly at: "edit"; readonly error?: Error }
  | { readonly at: "confirm" }
  | { readonly at: "erasing" }
  | { readonly at: "done"; readonly result: ErasureResult };

/** Whether an error is about the identifier typed (shown at the field) rather than anything else. */
const atField = (e: Error) => e instanceof ApiError && (e.path === "person" || e.path?.endsWith(": person"));

/** A count and its noun, singular for one. */
const counted = (n: number, one: string, many: string) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** What the erasure's verification found, in words. */
function Verification({ v }: { v: ErasureResult["verified"] }) {
  return (
    <dl class="facts">
      <dt>Tables</dt>
      <dd data-figure="erasure-tables-clean" class={v.tables ? "good" : "error"}>
        {v.tables ? "no table holds the person" : `still found in ${v.foundIn.join(", ")}`}
      </dd>
      <dt>Database files</dt>
      <dd
        data-figure="erasure-bytes-clean"
        class={v.bytes === false ? "error" : v.bytes ? "good" : undefined}
      >
        {v.bytes === null
          ? "not searched (the files are out of this server's reach)"
          : v.bytes
            ? `no byte of an identifier in ${counted(v.files, "file", "files")} (${counted(v.bytesRead, "byte", "bytes")} read)`
            : `an identifier's bytes remain${v.awaitingCleanup.length ? ` in storage the engine removes later: ${v.awaitingCleanup.join(", ")}` : ""}`}
      </dd>
      <dt>Identifiers searched</dt>
      <dd>
        {formatCount(v.searched)}
        {v.tooShortToSearch
          ? ` (${formatCount(v.tooShortToSearch)} too short: compared whole in tables)`
          : ""}
      </dd>
    </dl>
  );
}

/**
 * Erasing a person (`POST /api/privacy/erasures`), for a role with manage:privacy: the identifier first, then an
 * explicit confirmation (nothing is sent before it), then what was removed and the verification the API returns.
 * A bad identifier (unknown, malformed) is the API's error, shown at the field.
 */
export function EraseForm({ onErased }: { onErased: () => void }) {
  const [person, setPerson] = useState("");
  const [step, setStep] = useState<Step>({ at: "edit" });
  const confirmBox = useRef<HTMLFieldSetElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const outcome = useRef<HTMLDivElement>(null);
  // Focus follows the step, so a keyboard or screen-reader user lands on what to read or do next.
  useEffect(() => {
    if (step.at === "confirm") confirmBox.current?.focus();
    else if (step.at === "edit" && step.error) input.current?.focus();
    else if (step.at === "done") outcome.current?.focus();
  }, [step]);

  const erase = async () => {
    setStep({ at: "erasing" });
    try {
      const result = await post<ErasureResult>("/api/privacy/erasures", { person });
      setStep({ at: "done", result });
      onErased();
    } catch (e) {
      setStep({ at: "edit", error: e as Error });
    }
  };
  const fieldError = step.at === "edit" && step.error && atField(step.error) ? step.error : undefined;
  const otherError = step.at === "edit" && step.error && !fieldError ? step.error : undefined;

  if (step.at === "done") {
    const r = step.result;
    const touched = Object.entries(r.tables).filter(([, n]) => n > 0);
    return (
      <div ref={outcome} tabIndex={-1} class="erase-outcome" data-erasure={r.erasure}>
        <p role="status">
          Erased: <strong data-figure="erasure-rows">{formatCount(r.rowsRemoved)}</strong> rows from{" "}
          {counted(touched.length, "table", "tables")}; {counted(r.tombstones, "identifier", "identifiers")}{" "}
          kept only as tombstones (keyed hashes), so no import brings them back. Erasure{" "}
          <code>{r.erasure}</code>, in {formatNumber(r.seconds)} s.
        </p>
        <Verification v={r.verified} />
        <DataTable
          caption="Rows removed, by table"
          id="erasure-tables"
          rows={touched}
          columns={[
            { label: "Table", value: ([t]) => t },
            { label: "Rows", value: ([, n]) => formatCount(n), numeric: true },
          ]}
        />
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setPerson("");
            setStep({ at: "edit" });
          }}
        >
          Erase another person
        </button>
      </div>
    );
  }

  return (
    <form
      class="erase-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (person.trim() && step.at === "edit") setStep({ at: "confirm" });
      }}
    >
      <label for="erase-person">Customer id, user id, email address or phone number</label>
      <div class="controls">
        <input
          id="erase-person"
          ref={input}
          value={person}
          autocomplete="off"
          spellcheck={false}
          required
          readOnly={step.at !== "edit"}
          aria-invalid={fieldError ? "true" : undefined}
          aria-describedby={fieldError ? "erase-person-error" : "erase-person-hint"}
          onInput={(e) => {
            setPerson((e.target as HTMLInputElement).value);
            if (step.at === "edit" && step.error) setStep({ at: "edit" });
          }}
        />
        {step.at === "edit" ? <button type="submit">Review the erasure…</button> : null}
      </div>
      {fieldError ? (
        <p id="erase-person-error" class="error" role="alert">
          {fieldError.message}
        </p>
      ) : (
        <p id="erase-person-hint" class="muted">
          Nothing is removed until you confirm on the next step.
        </p>
      )}
      {otherError ? <ErrorBox error={otherError} /> : null}
      {step.at === "confirm" ? (
        <fieldset ref={confirmBox} class="confirm" aria-describedby="erase-confirm-text" tabIndex={-1}>
          <legend>Erase “{person.trim()}”?</legend>
          <p id="erase-confirm-text">
            Every row about this person goes from every table, their identifiers are kept only as keyed
            hashes, and the database's files are checked for what is left. This cannot be undone.
          </p>
          <div class="controls">
            <button type="button" class="danger" onClick={() => void erase()}>
              Erase permanently
            </button>
            <button type="button" class="secondary" onClick={() => setStep({ at: "edit" })}>
              Cancel
            </button>
          </div>
        </fieldset>
      ) : null}
      {step.at === "erasing" ? (
        <p class="loading" role="status" aria-live="polite">
          Erasing and verifying…
        </p>
      ) : null}
    </form>
  );
}
