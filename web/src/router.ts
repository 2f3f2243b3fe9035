import { useEffect, useState } from "preact/hooks";

/**
 * The dashboard's addresses are real paths (`/segments/champions`), each served the same page by the server, so
 * that a view can be bookmarked, reloaded and opened in a new tab. Navigation within the page uses the history API.
 */
const listeners = new Set<() => void>();

export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return;
  history.pushState(null, "", path);
  for (const l of listeners) l();
}

window.addEventListener("popstate", () => {
  for (const l of listeners) l();
});

/** The current path (without the query), re-rendering on navigation. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return path;
}

/** A link that navigates within the page (a plain click), or as a browser link does (new tab, copy address). */
export function onLinkClick(e: MouseEvent): void {
  const a = e.currentTarget as HTMLAnchorElement;
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href") ?? "/");
}
