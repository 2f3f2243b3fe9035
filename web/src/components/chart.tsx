import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/**
 * A chart drawn by Observable Plot (`draw` returns Plot's figure for a width), with the numbers behind it as a
 * table under "The numbers" (`children`). The picture is described by `label` for a screen reader, which reads
 * the table for the values; the chart is redrawn when `deps` change or the container's width does.
 */
export function Chart({
  label,
  draw,
  deps,
  children,
  id,
  compact,
}: {
  label: string;
  draw: (width: number) => SVGSVGElement | HTMLElement;
  deps: readonly unknown[];
  children?: ComponentChildren;
  id?: string;
  /** A small inline chart (a sparkline in a table cell): no minimum height. */
  compact?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let drawnWidth = -1;
    const render = () => {
      const width = Math.max(240, Math.floor(el.clientWidth));
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
  }, deps);
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
