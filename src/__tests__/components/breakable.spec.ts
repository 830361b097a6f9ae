import { wrapPieces } from '../../components/Breakable';

describe('wrapPieces', () => {
  it('cuts after separators, keeping every character', () => {
    expect(wrapPieces('/opt/conda/bin/python3.11')).toEqual([
      '/',
      'opt/',
      'conda/',
      'bin/',
      'python3.',
      '11'
    ]);
    expect(wrapPieces('Linux-6.8.0-45-generic-x86_64')).toEqual([
      'Linux-',
      '6.',
      '8.',
      '0-',
      '45-',
      'generic-',
      'x86_',
      '64'
    ]);
  });

  it('leaves words and empty text alone', () => {
    expect(wrapPieces('environment')).toEqual(['environment']);
    expect(wrapPieces('')).toEqual([]);
    expect(wrapPieces('a · b').join('')).toBe('a · b');
  });
});
