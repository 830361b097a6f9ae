/**
 * Side-by-side alignment of two texts' lines. Plain module (jest-tested).
 */
import { diffLines } from 'diff';

/** One side of a row: a line (with its 1-based number) or nothing. */
export interface ISideLine {
  readonly text: string;
  readonly line: number | null;
  /** `same`: in both texts; `removed`: only on the left; `added`: only on the right; `empty`: filler. */
  readonly kind: 'same' | 'removed' | 'added' | 'empty';
}

/** A row of a two-column diff. */
export interface IDiffRow {
  readonly left: ISideLine;
  readonly right: ISideLine;
}

const FILLER: ISideLine = { text: '', line: null, kind: 'empty' };

function splitLines(value: string): string[] {
  const lines = value.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/**
 * Align the lines of `left` and `right` in rows: unchanged lines face each other, a block of removed
 * lines faces the block of added lines that replaced it, and the shorter side is padded.
 */
export function sideBySide(left: string, right: string): IDiffRow[] {
  const rows: IDiffRow[] = [];
  let l = 1;
  let r = 1;
  let removed: string[] = [];
  let added: string[] = [];
  const flush = () => {
    const n = Math.max(removed.length, added.length);
    for (let i = 0; i < n; i++) {
      rows.push({
        left:
          i < removed.length
            ? { text: removed[i], line: l++, kind: 'removed' }
            : FILLER,
        right:
          i < added.length
            ? { text: added[i], line: r++, kind: 'added' }
            : FILLER
      });
    }
    removed = [];
    added = [];
  };
  for (const change of diffLines(left, right)) {
    const lines = splitLines(change.value);
    if (change.removed) {
      removed.push(...lines);
    } else if (change.added) {
      added.push(...lines);
    } else {
      flush();
      for (const text of lines) {
        rows.push({
          left: { text, line: l++, kind: 'same' },
          right: { text, line: r++, kind: 'same' }
        });
      }
    }
  }
  flush();
  return rows;
}

/** How many lines were removed and added. */
export function diffStats(rows: IDiffRow[]): {
  removed: number;
  added: number;
} {
  let removed = 0;
  let added = 0;
  for (const row of rows) {
    removed += row.left.kind === 'removed' ? 1 : 0;
    added += row.right.kind === 'added' ? 1 : 0;
  }
  return { removed, added };
}

/**
 * The code of a notebook (nbformat JSON) as one text to diff: each code cell under a
 * `# ---- cell N ----` header line, in order. Anything that is not a notebook gives ''.
 */
export function notebookCodeText(notebook: unknown): string {
  const cells = (notebook as { cells?: unknown } | null)?.cells;
  if (!Array.isArray(cells)) {
    return '';
  }
  const parts: string[] = [];
  cells.forEach((cell, index) => {
    if (!cell || typeof cell !== 'object') {
      return;
    }
    const { cell_type: type, source } = cell as {
      cell_type?: unknown;
      source?: unknown;
    };
    if (type !== 'code') {
      return;
    }
    const text = Array.isArray(source)
      ? source.filter(s => typeof s === 'string').join('')
      : typeof source === 'string'
        ? source
        : '';
    parts.push(`# ---- cell ${index + 1} ----\n${text.replace(/\n$/, '')}`);
  });
  return parts.join('\n');
}
