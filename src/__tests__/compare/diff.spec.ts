import { diffStats, notebookCodeText, sideBySide } from '../../compare/diff';

describe('sideBySide', () => {
  it('faces unchanged lines and pairs a replaced block', () => {
    const rows = sideBySide('a\nlr = 0.1\nc\n', 'a\nlr = 0.01\nc\n');
    expect(
      rows.map(r => [r.left.kind, r.left.text, r.right.kind, r.right.text])
    ).toEqual([
      ['same', 'a', 'same', 'a'],
      ['removed', 'lr = 0.1', 'added', 'lr = 0.01'],
      ['same', 'c', 'same', 'c']
    ]);
    expect(rows.map(r => [r.left.line, r.right.line])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3]
    ]);
    expect(diffStats(rows)).toEqual({ removed: 1, added: 1 });
  });

  it('pads the shorter side of an uneven change', () => {
    const rows = sideBySide('x\ny\n', 'x\nz1\nz2\nz3\n');
    expect(rows.map(r => [r.left.kind, r.right.kind])).toEqual([
      ['same', 'same'],
      ['removed', 'added'],
      ['empty', 'added'],
      ['empty', 'added']
    ]);
    expect(rows[2].left.line).toBeNull();
    expect(rows[3].right.line).toBe(4);
  });

  it('handles pure insertions, deletions and a missing final newline', () => {
    expect(sideBySide('', 'new').map(r => [r.left.kind, r.right.text])).toEqual(
      [['empty', 'new']]
    );
    expect(
      sideBySide('old\n', '').map(r => [r.left.text, r.right.kind])
    ).toEqual([['old', 'empty']]);
    expect(sideBySide('a\nb', 'a\nb')).toHaveLength(2);
  });

  it('keeps markup as text', () => {
    const rows = sideBySide('<b>x</b>\n', '<i>y</i>\n');
    expect(rows[0].left.text).toBe('<b>x</b>');
    expect(rows[0].right.text).toBe('<i>y</i>');
  });
});

describe('notebookCodeText', () => {
  it('joins code cells under numbered headers and skips other cells', () => {
    const nb = {
      cells: [
        { cell_type: 'markdown', source: '# Title' },
        { cell_type: 'code', source: ['import os\n', 'x = 1\n'] },
        { cell_type: 'code', source: 'y = 2' }
      ]
    };
    expect(notebookCodeText(nb)).toBe(
      '# ---- cell 2 ----\nimport os\nx = 1\n# ---- cell 3 ----\ny = 2'
    );
  });

  it('gives an empty text for anything that is not a notebook', () => {
    expect(notebookCodeText(null)).toBe('');
    expect(notebookCodeText({ cells: 'no' })).toBe('');
    expect(notebookCodeText('text')).toBe('');
  });

  it('makes two snapshots diffable line by line', () => {
    const a = notebookCodeText({
      cells: [{ cell_type: 'code', source: 'lr = 0.1' }]
    });
    const b = notebookCodeText({
      cells: [{ cell_type: 'code', source: 'lr = 0.2' }]
    });
    const stats = diffStats(sideBySide(a, b));
    expect(stats).toEqual({ removed: 1, added: 1 });
  });
});
