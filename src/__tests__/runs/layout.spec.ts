import { RowLayout, visibleWindow } from '../../runs/layout';

describe('RowLayout', () => {
  const layout = new RowLayout([
    { name: 'a', total: 3, collapsed: false },
    { name: 'b', total: 100, collapsed: true },
    { name: 'c', total: 450, collapsed: false }
  ]);

  it('counts a header per group and rows of expanded groups', () => {
    expect(layout.count).toBe(1 + 3 + 1 + 1 + 450);
    expect(layout.groupStart(2)).toBe(5);
  });

  it('maps indices to group headers and run offsets', () => {
    expect(layout.rowAt(0)).toEqual({ kind: 'group', group: 0 });
    expect(layout.rowAt(1)).toEqual({ kind: 'run', group: 0, offset: 0 });
    expect(layout.rowAt(3)).toEqual({ kind: 'run', group: 0, offset: 2 });
    expect(layout.rowAt(4)).toEqual({ kind: 'group', group: 1 });
    expect(layout.rowAt(5)).toEqual({ kind: 'group', group: 2 });
    expect(layout.rowAt(6)).toEqual({ kind: 'run', group: 2, offset: 0 });
    expect(layout.rowAt(455)).toEqual({ kind: 'run', group: 2, offset: 449 });
    expect(layout.rowAt(456)).toBeNull();
    expect(layout.rowAt(-1)).toBeNull();
  });

  it('lists the pages of a window of rows', () => {
    expect(layout.pagesFor(0, 10, 200)).toEqual([
      { group: 0, page: 0 },
      { group: 2, page: 0 }
    ]);
    expect(layout.pagesFor(200, 420, 200)).toEqual([
      { group: 2, page: 0 },
      { group: 2, page: 1 },
      { group: 2, page: 2 }
    ]);
  });

  it('is fast for 100k rows', () => {
    const big = new RowLayout(
      Array.from({ length: 50 }, (_, i) => ({
        name: `e${i}`,
        total: 2000,
        collapsed: false
      }))
    );
    expect(big.count).toBe(50 * 2001);
    const t0 = Date.now();
    for (let i = 0; i < 100000; i++) {
      big.rowAt(i);
    }
    expect(Date.now() - t0).toBeLessThan(500);
    expect(big.rowAt(2001)).toEqual({ kind: 'group', group: 1 });
  });
});

describe('visibleWindow', () => {
  it('adds overscan and clamps to the row count', () => {
    expect(visibleWindow(0, 260, 26, 1000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleWindow(2600, 260, 26, 1000, 5)).toEqual({
      start: 95,
      end: 115
    });
    expect(visibleWindow(26000, 260, 26, 1000, 5)).toEqual({
      start: 995,
      end: 1000
    });
  });
});
