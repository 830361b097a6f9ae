import {
  determinismOptions,
  determinismProgress,
  parseRepeats,
  reportLists,
  reportSummary
} from '../../reproduce/determinism';
import { Mlops } from '../../types';

function report(
  overrides: Partial<Mlops.IDeterminismReport> = {}
): Mlops.IDeterminismReport {
  return {
    verdict: 'nondeterministic',
    run_id: 'r1',
    repeats: 2,
    strict: true,
    tolerance: 0,
    first_difference: {
      kind: 'metric',
      metric: 'score',
      step: 0,
      values: [5, 7],
      executions: [1, 3],
      varied: ['PYTHONHASHSEED']
    },
    differences: [
      {
        kind: 'metric',
        metric: 'score',
        step: 0,
        values: [5, 7],
        executions: [1, 3],
        varied: ['PYTHONHASHSEED']
      },
      { kind: 'param', param: 'seed', values: [1, 2], executions: [1, 2] },
      { kind: 'artifact', path: 'model.pkl', values: ['a'.repeat(64), null] },
      { kind: 'missing', metric: 'loss', step: 3, values: [null, 'logged'] },
      { kind: 'steps', metric: 'acc', step: 4, values: [4, 5] }
    ],
    varied: ['PYTHONHASHSEED', 'OMP_NUM_THREADS', 'working directory'],
    causes: ['hash-order dependence: only PYTHONHASHSEED differed (0 → 4242)'],
    executions: [
      { index: 1, varied: null, run_id: 'a', status: 'finished', error: null },
      {
        index: 2,
        varied: 'OMP_NUM_THREADS',
        run_id: null,
        status: 'failed',
        error: 'kernel died'
      }
    ],
    notes: ['compared exactly'],
    ...overrides
  };
}

describe('determinism report in words', () => {
  it('lists every difference with the executions and what they varied', () => {
    const lists = reportLists(report());
    expect(lists.differences).toEqual([
      'score at step 0: 5 vs 7 (executions 1 and 3, varied PYTHONHASHSEED)',
      'parameter seed: 1 vs 2 (executions 1 and 2, same settings)',
      'artifact model.pkl: sha256 aaaaaaaaaaaa vs none',
      'loss was logged by one execution only',
      'acc logged other steps from step 4'
    ]);
    expect(lists.causes).toEqual([
      'hash-order dependence: only PYTHONHASHSEED differed (0 → 4242)'
    ]);
    expect(lists.failures).toEqual([
      'execution 2 (OMP_NUM_THREADS varied): failed: kernel died'
    ]);
    expect(lists.notes).toEqual(['compared exactly']);
  });

  it('falls back on the first difference', () => {
    expect(reportLists(report({ differences: [] })).differences).toHaveLength(
      1
    );
  });

  it('says the verdict', () => {
    expect(reportSummary(report())).toBe(
      'Not deterministic: 2 executions plus 3 varying one setting each differ (5 differences).'
    );
    expect(
      reportSummary(
        report({ verdict: 'deterministic', strict: false, differences: [] })
      )
    ).toBe(
      'Deterministic: 2 executions gave the same parameters, metric series and artifacts.'
    );
    expect(reportSummary(report({ verdict: 'failed' }))).toMatch(/^Failed/);
  });
});

describe('determinism requests', () => {
  it('accepts 2 to 10 executions', () => {
    expect(parseRepeats('3')).toBe(3);
    expect(parseRepeats(' 10 ')).toBe(10);
    for (const bad of ['', '1', '11', '2.5', 'x']) {
      expect(parseRepeats(bad)).toBeNaN();
    }
  });

  it('leaves the defaults out of the body', () => {
    expect(determinismOptions(2, false)).toEqual({});
    expect(determinismOptions(4, true)).toEqual({ repeats: 4, strict: true });
  });

  it('says the progress in executions', () => {
    const job = {
      id: 'j',
      kind: 'determinism',
      run_id: 'r',
      state: 'running',
      progress: { done: 1, running: 2, failed: 0, total: 3 },
      log_tail: '',
      error: null,
      verdict: null,
      created_at: '',
      started_at: null,
      ended_at: null
    } as Mlops.IDeterminismJob;
    expect(determinismProgress(job)).toBe('1 of 3 executions done, 2 running');
    expect(
      determinismProgress({ ...job, state: 'failed', error: 'no pin' })
    ).toBe('failed: no pin');
  });
});
