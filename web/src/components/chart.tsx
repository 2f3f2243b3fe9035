import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * A chart drawn by Observable Plot (`draw` returns Plot's figure for a width), with the numbers behind it as a
 * table under "The numbers" (`children`). The picture is described by `label` for a screen reader, which reads
 * the table for the values; the chart is redrawn when `deps` change or the container's width does. A chart is never
 * drawn narrower than `minWidth` (its margins and room for its marks: narrower, Plot would draw bars of negative
 * width); in a narrower container it scrolls sideways.
 */
export function Chart({
  label,
  draw,
  deps,
  children,
  id,
  compact,
  minWidth = 240,
}: {
  label: string;
  draw: (width: number) => SVGSVGElement | HTMLElement;
  deps: readonly unknown[];
  children?: ComponentChildren;
  id?: string;
  /** A small inline chart (a sparkline in a table cell): no minimum height. */
  compact?: boolean;
  /** The narrowest width the chart can be drawn at, in pixels. */
  minWidth?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let drawnWidth = -1;
    const render = () => {
      const width = Math.max(minWidth, Math.floor(el.clientWidth));
      if (width === drawnWidth) return;
      drawnWidth = width;
      const figure = draw(width);
      figure.setAttribute("aria-hidden", "true");
      el.replaceChildren(figure);
    };
    render();
    const observer = new ResizeObserver(render);
    observer.observe(el);
    return () => observer.disconnect();
  }, [...deps, minWidth]);
  return (
    <figure class={compact ? "chart compact" : "chart"} data-chart={id}>
      <div ref={box} class="plot" role="img" aria-label={label} />
      {children ? (
        <details>
          <summary>The numbers</summary>
          {children}
        </details>
      ) : null}
    </figure>
  );
}
