import type { Ref } from "preact";
import { useRef } from "preact/hooks";
import { Highlighted, type Mark } from "./highlighted";
import { positionOf } from "./positions";

/**
 * A plain text area over its own text in colour: the text area (transparent text, visible caret and selection)
 * is what the keyboard, the screen reader and the clipboard use; the coloured copy behind it, hidden from
 * assistive technology, only shows the tokens and underlines the problems. Both scroll together, with the line
 * numbers beside them. Tab leaves the field, as in any form.
 */
export function CodeEditor({
  id,
  areaRef,
  value,
  onInput,
  marks,
  invalid,
  describedBy,
  onCaret,
  rows = 14,
  highlighted = true,
}: {
  id: string;
  /** The text area, for a caller that moves its caret (to a problem). */
  areaRef?: Ref<HTMLTextAreaElement>;
  value: string;
  onInput: (text: string) => void;
  marks: readonly Mark[];
  invalid: boolean;
  describedBy: string;
  onCaret?: (at: { line: number; column: number }) => void;
  rows?: number;
  /** False for text the language does not read (the JSON form): no colours, the same layout. */
  highlighted?: boolean;
}) {
  const back = useRef<HTMLPreElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split("\n").length;
  const follow = (e: Event) => {
    const area = e.currentTarget as HTMLTextAreaElement;
    if (back.current) {
      back.current.scrollTop = area.scrollTop;
      back.current.scrollLeft = area.scrollLeft;
    }
    if (gutter.current) gutter.current.scrollTop = area.scrollTop;
  };
  const caret = (e: Event) => {
    const area = e.currentTarget as HTMLTextAreaElement;
    onCaret?.(positionOf(area.value, area.selectionStart));
  };
  return (
    <div class="code-editor" style={{ "--rows": rows }}>
      <div class="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => (
          <div>{i + 1}</div>
        ))}
      </div>
      <div class="code-area">
        <pre class="code-back" ref={back} aria-hidden="true">
          {highlighted ? <Highlighted text={value} marks={marks} /> : value}
          {"\n"}
        </pre>
        <textarea
          id={id}
          ref={areaRef}
          class="code-front"
          value={value}
          rows={rows}
          wrap="off"
          spellcheck={false}
          autocomplete="off"
          autocapitalize="off"
          aria-invalid={invalid}
          aria-describedby={describedBy}
          onInput={(e) => {
            onInput((e.currentTarget as HTMLTextAreaElement).value);
            caret(e);
          }}
          onScroll={follow}
          onKeyUp={caret}
          onClick={caret}
          onSelect={caret}
        />
      </div>
    </div>
  );
}
