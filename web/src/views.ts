import type { FunctionComponent } from "preact";

/** A view's module: loaded when first shown, so the first page ships only its own code. */
export type ViewModule = { default: FunctionComponent<{ params: Record<string, string> }> };

export interface ViewEntry {
  readonly title: string;
  /** The path pattern (`/segments/:id`); `:name` parts become `params`. */
  readonly path: string;
  /** Shown in the navigation (views reached from another, like one segment's, are not). */
  readonly nav: boolean;
  readonly load: () => Promise<ViewModule>;
}

export const VIEWS: readonly ViewEntry[] = [
  { title: "Overview", path: "/", nav: true, load: () => import("./views/overview") },
  { title: "Segment builder", path: "/builder", nav: true, load: () => import("./views/builder") },
  { title: "Segment", path: "/segments/:id", nav: false, load: () => import("./views/segment") },
  { title: "Value", path: "/value", nav: true, load: () => import("./views/value") },
  { title: "Discovery", path: "/discovery", nav: true, load: () => import("./views/discovery") },
  { title: "Activation", path: "/activation", nav: true, load: () => import("./views/activation") },
  { title: "Experiments", path: "/experiments", nav: true, load: () => import("./views/experiments") },
  { title: "Privacy", path: "/privacy", nav: true, load: () => import("./views/privacy") },
];

/** The view a path shows, with its parameters; null for no view. */
export function match(path: string): { view: ViewEntry; params: Record<string, string> } | null {
  for (const view of VIEWS) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${view.path.replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
      })}/?$`,
    );
    const m = pattern.exec(path);
    if (m)
      return {
        view,
        params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] as string)])),
      };
  }
  return null;
}
