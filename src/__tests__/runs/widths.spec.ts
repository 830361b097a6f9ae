import { tableColumns } from '../../runs/table';
import {
  CELL_PADDING,
  contentWidths,
  fitColumns,
  parseWidths,
  SORT_MARK_ROOM,
  userWidth
} from '../../runs/widths';

/** 7 px per character, 8 in bold. */
const measure = (text: string, bold: boolean) => text.length * (bold ? 8 : 7);

const columns = tableColumns(['metrics.val_accuracy', 'metrics.loss']);

/** What the loaded runs would show. */
const cells: { [id: string]: string[] } = {
  status: ['finished', 'interrupted'],
  name: ['logreg · C=0.05', 'logreg · C=1'],
  started: ['today 18:52', 'Nov 29 14:03'],
  duration: ['4.21 s', '3m 05s'],
  'metrics.val_accuracy': ['0.9133', '0.8467'],
  'metrics.loss': ['0.3589', '0.06760']
};

const natural = contentWidths(columns, id => cells[id] ?? [], measure, {
  status: 10
});

const widthOf = (fitted: ReturnType<typeof fitColumns>, id: string) =>
  fitted.columns.find(c => c.id === id)?.width;

describe('contentWidths', () => {
  it('fits the widest of the header and the cells, with padding', () => {
    // "val_accuracy" in bold (96) + the sort arrow beats its values (42).
    expect(natural.get('metrics.val_accuracy')).toBe(
      12 * 8 + SORT_MARK_ROOM + CELL_PADDING
    );
    // "Nov 29 14:03" (84) beats "Started" in bold (56 + 14).
    expect(natural.get('started')).toBe(12 * 7 + CELL_PADDING);
    expect(natural.get('status')).toBe(11 * 7 + 10 + CELL_PADDING);
    // The select column has no header text.
    expect(natural.get('select')).toBe(CELL_PADDING);
  });
});

describe('fitColumns', () => {
  it('gives every column its content width when there is room', () => {
    const fitted = fitColumns(columns, natural, {}, 2000);
    expect(fitted.hidden).toEqual([]);
    expect(widthOf(fitted, 'started')).toBe(natural.get('started'));
    expect(widthOf(fitted, 'metrics.loss')).toBe(natural.get('metrics.loss'));
  });

  it('keeps widths between the limits', () => {
    const wide = new Map(natural).set('metrics.loss', 900);
    const fitted = fitColumns(columns, wide, {}, 5000);
    expect(widthOf(fitted, 'metrics.loss')).toBe(180);
    expect(widthOf(fitted, 'select')).toBe(24);
  });

  it('takes room from Started and Duration before the chosen metrics', () => {
    const all = fitColumns(columns, natural, {}, 5000).columns;
    const total = all.reduce((sum, c) => sum + c.width, 0);
    const fitted = fitColumns(columns, natural, {}, total - 20);
    expect(widthOf(fitted, 'metrics.val_accuracy')).toBe(
      natural.get('metrics.val_accuracy')
    );
    expect(widthOf(fitted, 'started')! + widthOf(fitted, 'duration')!).toBe(
      natural.get('started')! + natural.get('duration')! - 20
    );
  });

  it('hides Duration, then Started, in a 400 px sidebar, keeping full metric headers', () => {
    const fitted = fitColumns(columns, natural, {}, 385);
    expect(fitted.hidden).toEqual(['duration', 'started']);
    expect(widthOf(fitted, 'metrics.val_accuracy')).toBe(
      natural.get('metrics.val_accuracy')
    );
    const total = fitted.columns.reduce((sum, c) => sum + c.width, 0);
    expect(total).toBeLessThanOrEqual(385);
  });

  it('hides only Duration when that is enough', () => {
    const all = fitColumns(columns, natural, {}, 5000).columns;
    const total = all.reduce((sum, c) => sum + c.width, 0);
    const fitted = fitColumns(columns, natural, {}, total - 100);
    expect(fitted.hidden).toEqual(['duration']);
  });

  it('shrinks metrics last and never below their minimum', () => {
    const fitted = fitColumns(columns, natural, {}, 200);
    expect(widthOf(fitted, 'metrics.loss')).toBe(48);
    expect(widthOf(fitted, 'name')).toBe(100);
  });

  it('keeps what the user sized, and never hides it', () => {
    const fitted = fitColumns(
      columns,
      natural,
      { started: 150, 'metrics.loss': 10 },
      385
    );
    expect(widthOf(fitted, 'started')).toBe(150);
    expect(widthOf(fitted, 'metrics.loss')).toBe(32);
    expect(fitted.hidden).toEqual(['duration']);
  });

  it('fits nothing before the width is known', () => {
    expect(fitColumns(columns, natural, {}, 0).hidden).toEqual([]);
  });
});

describe('user widths', () => {
  it('are whole pixels within limits', () => {
    expect(userWidth(12.4)).toBe(32);
    expect(userWidth(100.6)).toBe(101);
    expect(userWidth(5000)).toBe(640);
  });

  it('parse from the settings, dropping what is not a width', () => {
    expect(
      parseWidths({ started: 90, name: 'wide', 'metrics.acc': 2000 })
    ).toEqual({ started: 90, 'metrics.acc': 640 });
    expect(parseWidths(null)).toEqual({});
    expect(parseWidths([1])).toEqual({});
  });
});
