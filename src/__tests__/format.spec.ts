import {
  formatBytes,
  formatDuration,
  formatMetric,
  formatNumber,
  experimentText,
  formatFullTime,
  formatTime,
  formatValue,
  metricNumber,
  relativeToRoot,
  runLabel
} from '../format';

describe('formatDuration', () => {
  it.each([
    [null, '—'],
    [undefined, '—'],
    [-1, '—'],
    [NaN, '—'],
    [0, '0 ms'],
    [0.0009, '1 ms'],
    [0.4213, '421 ms'],
    [4.213, '4.21 s'],
    [12.34, '12.3 s'],
    [185, '3m 05s'],
    [2 * 3600 + 3 * 60 + 9, '2h 03m'],
    [86400 + 2 * 3600, '1d 02h']
  ])('%p → %p', (seconds, text) => {
    expect(formatDuration(seconds as number | null)).toBe(text);
  });
});

describe('metric values', () => {
  it('decodes the non-finite strings of the wire', () => {
    expect(metricNumber('NaN')).toBeNaN();
    expect(metricNumber('Infinity')).toBe(Infinity);
    expect(metricNumber('-Infinity')).toBe(-Infinity);
    expect(metricNumber(0.5)).toBe(0.5);
    expect(metricNumber(undefined)).toBeNaN();
  });

  it('formats numbers with about four significant digits', () => {
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(1234)).toBe('1234');
    expect(formatNumber(1234.5678)).toBe('1235');
    expect(formatNumber(0.00000012345)).toBe('1.235e-7');
    expect(formatNumber(0.5)).toBe('0.5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-∞');
  });

  it('shows missing and non-finite metrics', () => {
    expect(formatMetric(undefined)).toBe('—');
    expect(formatMetric('NaN')).toBe('NaN');
    expect(formatMetric('Infinity')).toBe('∞');
    expect(formatMetric(0.25)).toBe('0.25');
  });
});

describe('formatValue', () => {
  it('shows strings as they are and the rest as JSON', () => {
    expect(formatValue('<img src=x>')).toBe('<img src=x>');
    expect(formatValue(true)).toBe('true');
    expect(formatValue(null)).toBe('null');
    expect(formatValue([1, 2])).toBe('[1,2]');
    expect(formatValue({ a: 1 })).toBe('{"a":1}');
    expect(formatValue(undefined)).toBe('—');
  });
});

describe('runLabel', () => {
  it('prefers the name, else the short id', () => {
    expect(runLabel({ id: '0123456789abcdef', name: 'base' })).toBe('base');
    expect(runLabel({ id: '0123456789abcdef', name: null })).toBe('01234567');
    expect(runLabel({ id: '0123456789abcdef', name: '' })).toBe('01234567');
  });
});

describe('formatTime', () => {
  const now = new Date(2026, 10, 15, 18, 0);
  const at = (...parts: number[]) =>
    new Date(
      parts[0],
      parts[1],
      parts[2],
      parts[3] ?? 0,
      parts[4] ?? 0
    ).toISOString();
  it('says today and yesterday, the day and time this year, the date before', () => {
    expect(formatTime(at(2026, 10, 15, 9, 5), now)).toBe('today 09:05');
    expect(formatTime(at(2026, 10, 14, 23, 59), now)).toBe('yesterday 23:59');
    expect(formatTime(at(2026, 2, 3, 14, 3), now)).toBe('Mar 3 14:03');
    expect(formatTime(at(2024, 2, 3, 9, 5), now)).toBe('Mar 3, 2024');
    expect(formatTime(null, now)).toBe('—');
    expect(formatTime('garbage', now)).toBe('garbage');
  });

  it('knows yesterday across a month boundary', () => {
    const first = new Date(2026, 11, 1, 8, 0);
    expect(formatTime(at(2026, 10, 30, 22, 10), first)).toBe('yesterday 22:10');
  });

  it('gives the full value with seconds, the offset and the recorded text', () => {
    const iso = '2026-11-29T13:03:12.123456+00:00';
    const full = formatFullTime(iso);
    expect(full).toMatch(
      /^2026-11-29 \d\d:03:12 UTC[+-]\d\d:\d\d · 2026-11-29T13:03:12.123456\+00:00$/
    );
    expect(formatFullTime(null)).toBe('');
  });
});

describe('experimentText', () => {
  it('shows a notebook inside the server root relative to it, tail apart', () => {
    expect(experimentText('/srv/work/x/nb.ipynb', '/srv/work')).toEqual({
      head: 'x/',
      tail: 'nb.ipynb',
      title: '/srv/work/x/nb.ipynb'
    });
    expect(experimentText('/srv/work/nb.ipynb', '/srv/work')).toEqual({
      head: '',
      tail: 'nb.ipynb',
      title: '/srv/work/nb.ipynb'
    });
  });

  it('keeps a path outside the root whole, never reordered', () => {
    expect(experimentText('/tmp/x/nb.ipynb', '/srv/work')).toEqual({
      head: '/tmp/x/',
      tail: 'nb.ipynb',
      title: '/tmp/x/nb.ipynb'
    });
  });

  it('leaves names that are not paths alone', () => {
    expect(experimentText('baseline', '/srv')).toEqual({
      head: '',
      tail: 'baseline',
      title: 'baseline'
    });
    expect(experimentText('team/vision', '/srv').tail).toBe('vision');
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3 GiB');
    expect(formatBytes(null)).toBe('—');
  });
});

describe('relativeToRoot', () => {
  it('gives the path below the server root', () => {
    expect(relativeToRoot('/home/me/nb/a.ipynb', '/home/me')).toBe(
      'nb/a.ipynb'
    );
    expect(relativeToRoot('/home/me/nb/a.ipynb', '/home/me/')).toBe(
      'nb/a.ipynb'
    );
    expect(relativeToRoot('C:\\work\\a.ipynb', 'C:\\work')).toBe('a.ipynb');
    expect(relativeToRoot('/srv/a.ipynb', '/')).toBe('srv/a.ipynb');
  });

  it('refuses paths outside the root', () => {
    expect(relativeToRoot('/home/meow/a.ipynb', '/home/me')).toBeNull();
    expect(relativeToRoot('/tmp/a.ipynb', '/home/me')).toBeNull();
    expect(relativeToRoot('/home/me/../x/a.ipynb', '/home/me')).toBeNull();
    expect(relativeToRoot('/home/me/a.ipynb', '')).toBeNull();
  });
});
