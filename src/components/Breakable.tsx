/**
 * Long values (paths, platform strings, package lists) that wrap at their separators rather than
 * in the middle of a word.
 */
import React from 'react';

/** Characters after which a long value may wrap. */
const SEPARATORS = /([/\\._\-·,=:;+@]+)/;

/**
 * The pieces of `text` between wrap opportunities: each piece ends with the separators after it
 * (`/opt/conda/bin` → `/`, `opt/`, `conda/`, `bin`). Spaces wrap by themselves.
 */
export function wrapPieces(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const part of text.split(SEPARATORS)) {
    current += part;
    if (SEPARATORS.test(part)) {
      pieces.push(current);
      current = '';
    }
  }
  if (current) {
    pieces.push(current);
  }
  return pieces;
}

/** Text that may wrap after its separators (a `<wbr>` after each), as text. */
export function Breakable(props: { text: string }): JSX.Element {
  const pieces = wrapPieces(props.text);
  return (
    <>
      {pieces.map((piece, i) => (
        <React.Fragment key={i}>
          {piece}
          {i < pieces.length - 1 && <wbr />}
        </React.Fragment>
      ))}
    </>
  );
}
