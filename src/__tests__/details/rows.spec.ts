import {
  artifactRows,
  environmentRows,
  gitRows,
  inputRows,
  metricRows,
  notebookRows,
  packageRows,
  paramRows
} from '../../details/rows';
import { Mlops } from '../../types';

describe('details rows', () => {
  it('shows parameters as text, strings as they are', () => {
    expect(paramRows({ lr: 0.001, opt: 'adam', layers: [1, 2] })).toEqual([
      ['lr', '0.001'],
      ['opt', 'adam'],
      ['layers', '[1,2]']
    ]);
    expect(paramRows(null)).toEqual([]);
  });

  it('lists every metric by key and says which logged value it shows', () => {
    const metrics: Mlops.IMetricInfo[] = [
      { key: 'loss', count: 5, last: 0.25, last_step: 4 },
      { key: 'acc', count: 1, last: 0.9, last_step: null },
      { key: 'aux', count: 2, last: 'NaN', last_step: null }
    ];
    expect(metricRows({ metrics: { acc: 0.91, best: 3 } }, metrics)).toEqual([
      ['acc', '0.91'],
      ['aux', 'NaN (last of 2, step —)'],
      ['best', '3'],
      ['loss', '0.25 (last of 5, step 4)']
    ]);
  });

  it('says how the tracked cell relates to its notebook', () => {
    const run = {
      cell_id: 'c1',
      execution_count: 3,
      notebook: {
        path: '/nb.ipynb',
        snapshot_sha256: null,
        saved_matches_source: false
      },
      history_out_of_order: true
    };
    expect(notebookRows(run)).toEqual([
      ['cell id', 'c1'],
      ['execution count', '3'],
      [
        'saved notebook has this cell',
        'no (notebook not saved since the cell changed)'
      ],
      ['cells ran out of order', 'yes']
    ]);
    expect(
      notebookRows({
        cell_id: null,
        execution_count: null,
        notebook: null,
        history_out_of_order: false
      })
    ).toEqual([
      ['cell id', '—'],
      ['execution count', '—'],
      ['saved notebook has this cell', 'unknown'],
      ['cells ran out of order', 'no']
    ]);
  });

  it('shows git state and a truncated diff', () => {
    const git: Mlops.IGitInfo = {
      commit: 'abc',
      branch: null,
      dirty: true,
      root: '/repo',
      remote: null,
      diff_sha256: null,
      diff_truncated: true
    };
    expect(gitRows(git)).toEqual([
      ['commit', 'abc'],
      ['branch', '—'],
      ['dirty', 'yes (uncommitted changes)'],
      ['remote', '—'],
      ['root', '/repo'],
      ['diff', 'truncated']
    ]);
    expect(
      gitRows({ ...git, dirty: false, diff_truncated: false })
    ).toHaveLength(5);
  });

  it('describes the environment, also when nothing was captured', () => {
    const env: Mlops.IEnvironment = {
      python: {
        implementation: 'CPython',
        version: '3.11.2',
        executable: '/usr/bin/python3'
      },
      platform: { system: 'Linux', release: '6.1', machine: 'x86_64' },
      cpu: { model: null, count: 4 },
      memory_total_bytes: 8 * 1024 ** 3,
      gpus: [{ name: 'T4' }],
      packages: { numpy: '2.0', Pandas: '3.0', attrs: '24' }
    };
    expect(environmentRows(env)).toEqual([
      ['python', 'CPython 3.11.2'],
      ['executable', '/usr/bin/python3'],
      ['platform', 'Linux 6.1 x86_64'],
      ['cpu', 'unknown × 4'],
      ['memory', '8 GiB'],
      ['gpus', '{"name":"T4"}']
    ]);
    expect(environmentRows(null)).toEqual([
      ['python', '—'],
      ['executable', '—'],
      ['platform', '—'],
      ['cpu', '—'],
      ['memory', '—'],
      ['gpus', 'none']
    ]);
    expect(packageRows(env).map(([name]) => name)).toEqual([
      'attrs',
      'numpy',
      'Pandas'
    ]);
    expect(packageRows(null)).toEqual([]);
  });

  it('shows each input with its kind, cell, size, hash and how it was learnt', () => {
    const rows = inputRows([
      {
        path: 'data/train.csv',
        sha256: '0123456789abcdef',
        size: 2048,
        via: 'open',
        cell: 3,
        mtime: 1.7e9
      },
      {
        path: 'images/',
        sha256: 'ab'.repeat(32),
        size: 48 * 1024 * 1024,
        kind: 'folder',
        files: 4096,
        via: 'declared'
      },
      {
        path: 's3://bucket/x.parquet',
        sha256: '',
        size: 10,
        kind: 'url',
        hashing: 'none',
        via: 'fsspec',
        version: '"9b2c"'
      },
      { path: 'big.bin', sha256: 'ff'.repeat(32), size: 1, hashing: 'sampled' },
      {
        path: 'train',
        sha256: 'cd'.repeat(32),
        size: 150,
        kind: 'frame',
        via: 'log_input'
      }
    ]);
    expect(rows[0]).toEqual({
      path: 'data/train.csv',
      kind: 'file',
      cell: '[3]',
      size: '2 KiB',
      hash: '0123456789ab',
      via: 'opened',
      mtime: 1.7e9
    });
    expect(rows[1]).toMatchObject({
      kind: 'folder',
      cell: '',
      size: '4096 files · 48 MiB',
      via: '--input',
      mtime: null
    });
    expect(rows[2]).toMatchObject({
      kind: 'url',
      hash: 'not hashed · version "9b2c"',
      via: 'fsspec'
    });
    expect(rows[3].hash).toBe('sampled ffffffffffff');
    expect(rows[4]).toMatchObject({ size: '150 rows', via: 'log_input' });
    expect(inputRows(null)).toEqual([]);
  });

  it('lists artifacts with the index and file name a download uses', () => {
    expect(
      artifactRows([
        { path: 'models/model.pt', size: 10, sha256: 'fedcba9876543210' },
        { path: 'C:\\out\\plot.png', size: 512, sha256: '' }
      ])
    ).toEqual([
      {
        path: 'models/model.pt',
        index: 0,
        fileName: 'model.pt',
        size: '10 B',
        hash: 'fedcba987654'
      },
      {
        path: 'C:\\out\\plot.png',
        index: 1,
        fileName: 'plot.png',
        size: '512 B',
        hash: ''
      }
    ]);
  });
});
