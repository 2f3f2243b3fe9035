import type { ComponentChildren } from "preact";
import { ApiError } from "../api";

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** An error the API gave (its message, and the field it names), or any other failure, in words. */
export function ErrorBox({ error }: { error: Error }) {
  const where = error instanceof ApiError && error.path ? ` (${error.path})` : "";
  return (
    <p class="error" role="alert">
      {error.message}
      {where}
    </p>
  );
}

/** A titled panel of a view. */
export function Card({
  title,
  children,
  id,
  wide,
}: {
  title: string;
  children: ComponentChildren;
  id?: string;
  wide?: boolean;
}) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-title`;
  return (
    <section class={wide ? "card wide" : "card"} aria-labelledby={headingId} data-card={id}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** What a role may not see, said instead of asking the API for it (which would answer 403). */
export function NotPermitted({ permission }: { permission: string }) {
  return <p class="muted">Your key's role does not have {permission}: this part is not shown.</p>;
}
