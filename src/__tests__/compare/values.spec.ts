import {
  barGeometry,
  describeEnvValue,
  inputStatusText,
  packageChanges,
  valueText
} from '../../compare/values';

describe('compare values', () => {
  it('shows missing values as a dash and metrics as short numbers', () => {
    expect(valueText(undefined, false)).toBe('—');
    expect(valueText(null, true)).toBe('—');
    expect(valueText(0.123456, true)).toBe('0.1235');
    expect(valueText('NaN', true)).toBe('NaN');
    expect(valueText('adam', false)).toBe('adam');
    expect(valueText([1, 2], false)).toBe('[1,2]');
  });

  it('describes an environment value on one line', () => {
    expect(describeEnvValue(undefined)).toBe('—');
    expect(
      describeEnvValue({
        commit: '0123456789abcdef',
        branch: 'main',
        dirty: false,
        remote: null,
        root: ''
      })
    ).toBe('0123456789 · main · not dirty');
    expect(describeEnvValue({ dirty: true, depth: 2 })).toBe('dirty · 2');
    expect(describeEnvValue({ remote: null })).toBe('—');
    expect(describeEnvValue('3.11.2')).toBe('3.11.2');
  });

  it('lists removed, added and changed packages by name', () => {
    expect(
      packageChanges({
        added: { zlib: '1.3' },
        removed: { attrs: '24' },
        changed: { numpy: ['1.26', '2.0'] }
      })
    ).toEqual([
      ['attrs', '24', '—'],
      ['numpy', '1.26', '2.0'],
      ['zlib', '—', '1.3']
    ]);
    expect(packageChanges(undefined)).toEqual([]);
  });
});

describe('barGeometry', () => {
  it('lays bars out from zero on one scale', () => {
    expect(barGeometry([0.5, 1, null])).toEqual({
      zero: 0,
      bars: [{ left: 0, width: 50 }, { left: 0, width: 100 }, null]
    });
    const mixed = barGeometry([-1, 3]);
    expect(mixed.zero).toBe(25);
    expect(mixed.bars).toEqual([
      { left: 0, width: 25 },
      { left: 25, width: 75 }
    ]);
    expect(barGeometry([0, 0]).bars).toEqual([
      { left: 0, width: 0 },
      { left: 0, width: 0 }
    ]);
  });
});

describe('inputStatusText', () => {
  it('names the runs that read an input only some read', () => {
    const labels = ['a', 'b', 'c'];
    expect(
      inputStatusText(
        { path: 'x', values: ['1', null, '1'], status: 'only' },
        labels
      )
    ).toBe('only a, c');
    expect(
      inputStatusText(
        { path: 'x', values: ['1', '2', '1'], status: 'changed' },
        labels
      )
    ).toBe('changed');
  });
});
