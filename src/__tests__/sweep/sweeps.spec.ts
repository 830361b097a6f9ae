import {
  checkGrid,
  executionRows,
  idFilter,
  resultMetrics,
  sweptParams,
  combinationCount,
  executionLabel,
  formatItem,
  parseValueList,
  parseWorkers,
  splitList,
  sweepProgressText,
  sweepProgressValue,
  sweepRunIds
} from '../../sweep/sweeps';
import { Mlops } from '../../types';

describe('parseValueList', () => {
  it('reads JSON literals as such and anything else as strings', () => {
    expect(parseValueList('0.001, 0.01')).toEqual([0.001, 0.01]);
    expect(parseValueList('adam, sgd')).toEqual(['adam', 'sgd']);
    expect(parseValueList('true, null, "0.1", 1e-3')).toEqual([
      true,
      null,
      '0.1',
      0.001
    ]);
    expect(parseValueList(' 3 ,  relu6 ')).toEqual([3, 'relu6']);
  });

  it('keeps commas inside quotes and brackets', () => {
    expect(splitList('"a,b", [1, 2], {"k": [3, 4]}')).toEqual([
      '"a,b"',
      '[1, 2]',
      '{"k": [3, 4]}'
    ]);
    expect(parseValueList('"a,b", [1, 2]')).toEqual(['a,b', [1, 2]]);
    expect(parseValueList('"say \\"hi\\", ok"')).toEqual(['say "hi", ok']);
  });

  it('drops empty items', () => {
    expect(parseValueList('')).toEqual([]);
    expect(parseValueList(' , ')).toEqual([]);
    expect(parseValueList('1,,2,')).toEqual([1, 2]);
  });
});

describe('formatItem', () => {
  it('gives back the value when parsed', () => {
    const values: Mlops.JSONValue[] = [
      0.1,
      'adam',
      '0.1',
      'true',
      'a,b',
      ' padded',
      '',
      true,
      null,
      [1, 'x'],
      { a: 1 }
    ];
    for (const value of values) {
      expect(parseValueList(formatItem(value))).toEqual([value]);
    }
    expect(formatItem('adam')).toBe('adam');
    expect(formatItem('0.1')).toBe('"0.1"');
  });
});

describe('combinationCount', () => {
  it('multiplies the list lengths', () => {
    expect(combinationCount([2, 3, 4])).toBe(24);
    expect(combinationCount([])).toBe(1);
    expect(combinationCount([2, 0])).toBe(0);
  });
});

describe('parseWorkers', () => {
  it('accepts whole numbers from 1 to 8', () => {
    expect(parseWorkers('1')).toBe(1);
    expect(parseWorkers(' 8 ')).toBe(8);
    expect(parseWorkers('0')).toBeNull();
    expect(parseWorkers('9')).toBeNull();
    expect(parseWorkers('2.5')).toBeNull();
    expect(parseWorkers('')).toBeNull();
  });
});

describe('checkGrid', () => {
  it('builds the grid and counts the combinations', () => {
    expect(
      checkGrid(
        [
          { name: 'lr', text: '0.1, 0.2' },
          { name: 'opt', text: 'adam, sgd, rmsprop' }
        ],
        '2'
      )
    ).toEqual({
      grid: { lr: [0.1, 0.2], opt: ['adam', 'sgd', 'rmsprop'] },
      count: 6,
      workers: 2,
      errors: []
    });
  });

  it('says which list is empty', () => {
    const check = checkGrid(
      [
        { name: 'lr', text: ' ' },
        { name: 'opt', text: 'adam' }
      ],
      '1'
    );
    expect(check.count).toBe(0);
    expect(check.errors).toEqual(['lr: give at least one value.']);
  });

  it('refuses more than 256 combinations', () => {
    const many = Array.from({ length: 17 }, (_, i) => i).join(',');
    const check = checkGrid(
      [
        { name: 'a', text: many },
        { name: 'b', text: many }
      ],
      '1'
    );
    expect(check.count).toBe(289);
    expect(check.errors).toEqual([
      '289 combinations: a sweep runs at most 256.'
    ]);
    expect(checkGrid([{ name: 'a', text: many }], '1').errors).toEqual([]);
  });

  it('checks the workers and skips names that are not identifiers', () => {
    const check = checkGrid(
      [
        { name: 'lr', text: '1' },
        { name: 'not-a-name', text: '1, 2' }
      ],
      '9'
    );
    expect(check.grid).toEqual({ lr: [1] });
    expect(check.count).toBe(1);
    expect(check.errors).toEqual([
      'Workers must be a whole number from 1 to 8.'
    ]);
    expect(checkGrid([], '1').errors).toEqual([
      'This run has no parameters to vary.'
    ]);
  });
});

function sweepJob(patch: Partial<Mlops.ISweepJob> = {}): Mlops.ISweepJob {
  return {
    id: 'j1',
    kind: 'sweep',
    sweep_id: 's1',
    run_id: 'r1',
    state: 'running',
    progress: { done: 1, running: 1, failed: 1, total: 4 },
    log_tail: '',
    error: null,
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    ended_at: null,
    ...patch
  };
}

describe('sweep progress', () => {
  it('counts executions that ended, failed ones included', () => {
    expect(sweepProgressValue(sweepJob())).toEqual({ value: 1, max: 4 });
    expect(sweepProgressText(sweepJob())).toBe(
      '1 / 4 done, 1 running, 1 failed'
    );
  });

  it('words every state', () => {
    const done = { done: 2, running: 0, failed: 0, total: 2 };
    expect(sweepProgressText(sweepJob({ state: 'queued' }))).toBe(
      'queued, waiting to start (4 combinations)'
    );
    expect(
      sweepProgressText(sweepJob({ state: 'succeeded', progress: done }))
    ).toBe('finished: 2 / 2 done');
    expect(sweepProgressText(sweepJob({ state: 'cancelled' }))).toBe(
      'cancelled: 1 / 4 done, 1 failed'
    );
    expect(
      sweepProgressText(sweepJob({ state: 'failed', error: 'kernel died' }))
    ).toBe('failed: kernel died (1 / 4 done, 1 failed)');
  });
});

describe('sweepRunIds', () => {
  const execution = (
    index: number,
    run_ids: string[]
  ): Mlops.ISweepExecution => ({
    index,
    params: { lr: index / 10, opt: 'adam' },
    status: 'finished',
    run_ids,
    error: null
  });

  it('lists the runs in execution order, once each, capped', () => {
    const sweep = {
      executions: [
        execution(1, ['b']),
        execution(0, ['a']),
        execution(2, ['c', 'a'])
      ]
    };
    expect(sweepRunIds(sweep)).toEqual(['a', 'b', 'c']);
    expect(sweepRunIds(sweep, 2)).toEqual(['a', 'b']);
  });

  it('labels an execution by its parameters', () => {
    expect(executionLabel(execution(2, []))).toBe('lr=0.2, opt=adam');
  });
});

describe('sweep results', () => {
  const execution = (
    index: number,
    params: { [k: string]: Mlops.JSONValue },
    runIds: string[],
    status: Mlops.ExecutionStatus = 'finished'
  ): Mlops.ISweepExecution => ({
    index,
    params,
    status,
    run_ids: runIds,
    error: status === 'failed' ? 'ValueError: bad C' : null
  });

  it('lists the runs of a sweep for one request', () => {
    expect(idFilter(['a1', 'b"2'])).toBe('id = "a1" or id = "b\\"2"');
  });

  it('names the swept parameters: the grid, else those that differ', () => {
    expect(
      sweptParams({ grid: { C: [1, 2], solver: ['a'] }, executions: [] })
    ).toEqual(['C', 'solver']);
    expect(
      sweptParams({
        grid: null,
        executions: [
          execution(0, { C: 1, max_iter: 100 }, []),
          execution(1, { C: 2, max_iter: 100 }, [])
        ]
      })
    ).toEqual(['C']);
  });

  it("takes the base run's metrics, else the runs'", () => {
    expect(
      resultMetrics({ metrics: { loss: 1, acc: 2, f1: 3, auc: 4 } }, [])
    ).toEqual(['acc', 'auc', 'f1']);
    expect(resultMetrics({ metrics: {} }, [{ metrics: { acc: 1 } }])).toEqual([
      'acc'
    ]);
  });

  it('gives each execution its swept values and its run metrics', () => {
    const sweep = {
      grid: { C: [1, 0.05] },
      executions: [
        execution(1, { C: 0.05 }, ['r2'], 'failed'),
        execution(0, { C: 1 }, ['r1'])
      ]
    };
    const runs = new Map([['r1', { metrics: { acc: 0.93333 } }]]);
    expect(executionRows(sweep, runs, ['acc'])).toEqual([
      {
        index: 0,
        params: ['1'],
        status: 'finished',
        error: null,
        runIds: ['r1'],
        metrics: ['0.9333']
      },
      {
        index: 1,
        params: ['0.05'],
        status: 'failed',
        error: 'ValueError: bad C',
        runIds: ['r2'],
        metrics: ['']
      }
    ]);
  });
});
