/**
 * What the run table's cells show, as text, and how wide text is on screen: what column widths
 * are sized from (see widths.ts).
 */
import { formatDuration, formatTime } from '../format';
import { Mlops } from '../types';
import { ColumnId, columnValue } from './columns';
import { Measure } from './widths';

/** Pixels a column's cells need beyond their text. */
export const CELL_EXTRA: { readonly [id: string]: number } = {
  // The status badge's padding and border.
  status: 10,
  // Room for the indentation of a reproduction or a sweep's run.
  name: 18
};

/** The texts of a column's cells for `runs`. */
export function* cellTexts(
  model: { labelOf(run: Mlops.IRunSummary): string },
  runs: ReadonlyArray<Mlops.IRunSummary>,
  id: string
): Generator<string> {
  for (const run of runs) {
    switch (id) {
      case 'select':
        break;
      case 'status':
        yield run.status;
        break;
      case 'name':
        yield model.labelOf(run);
        break;
      case 'started':
        yield formatTime(run.started_at);
        break;
      case 'duration':
        yield formatDuration(run.duration);
        break;
      default:
        yield columnValue(run, id as ColumnId);
    }
  }
}

let canvas: HTMLCanvasElement | null = null;

/** The font of an element as a canvas takes it (size and family). */
export function fontOf(element: HTMLElement): string {
  const style = getComputedStyle(element);
  return `${style.fontSize} ${style.fontFamily}`;
}

/**
 * Measure text in `font` (see `fontOf`), bold for headers; 7 px per character while the font is
 * not known.
 */
export function textMeasure(font: string | null): Measure {
  canvas = canvas ?? document.createElement('canvas');
  const context = canvas.getContext('2d');
  if (!font || !context) {
    return text => text.length * 7;
  }
  return (text, bold) => {
    context.font = bold ? `600 ${font}` : font;
    return context.measureText(text).width;
  };
}
