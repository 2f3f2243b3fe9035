import { ApiError } from "../../api";
import { ErrorBox } from "../../components/status";

/** The input field an API error is about (its `path`'s first part: `kMax`, `saveAs`, `features`), if any. */
export function fieldOf(error: Error | undefined): string | null {
  return error instanceof ApiError && error.path ? (error.path.split(".")[0] ?? null) : null;
}

/** The attributes that tie a field to its error, when the error is about it (read with the field). */
export function invalidIf(error: Error | undefined, field: string, id: string) {
  return fieldOf(error) === field ? { "aria-invalid": true, "aria-describedby": `${id}-error` } : {};
}

/** An API error said at the field it is about (`id` is the field's element id). */
export function FieldError({ error, field, id }: { error: Error | undefined; field: string; id: string }) {
  if (!error || fieldOf(error) !== field) return null;
  return (
    <p class="field-error" id={`${id}-error`} role="alert" data-error-for={field}>
      {error.message}
    </p>
  );
}

/** An error that is about none of `fields`: said under the form. */
export function FormError({ error, fields }: { error: Error | undefined; fields: readonly string[] }) {
  if (!error) return null;
  const field = fieldOf(error);
  return field !== null && fields.includes(field) ? null : <ErrorBox error={error} />;
}
