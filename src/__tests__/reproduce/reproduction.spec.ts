import {
  blocker,
  failureText,
  isActive,
  isFinished,
  latestJob,
  nondeterminismText,
  parseTolerance,
  pinLabel,
  progressText,
  progressValue,
  reproduceOptions,
  runPin,
  runRisks,
  verdictMetricRows,
  verdictSummary
} from '../../reproduce/reproduction';
import { Mlops } from '../../types';

function job(patch: Partial<Mlops.IJob> = {}): Mlops.IJob {
  return {
    id: 'j1',
    kind: 'reproduce',
    run_id: 'r1',
    state: 'running',
    progress: { cell: 2, total: 5 },
    log_tail: '',
    verdict: null,
    error: null,
    created_at: '2026-01-01T00:00:00Z',
    started_at: '2026-01-01T00:00:01Z',
    ended_at: null,
    ...patch
  };
}

function verdict(patch: Partial<Mlops.IVerdict> = {}): Mlops.IVerdict {
  return {
    status: 'reproduced',
    causes: [],
    metrics: {
      acc: { original: 0.5, reproduced: 0.5, equal: true },
      loss: { original: 0.25, reproduced: 0.25, equal: true }
    },
    reproduction_run_id: 'r2',
    original_run_id: 'r1',
    pin: { kind: 'snapshot' },
    notes: [],
    failure: null,
    nondeterministic: null,
    ...patch
  };
}

describe('job states', () => {
  it('tells active from finished', () => {
    expect(['queued', 'running'].map(s => isActive(s as any))).toEqual([
      true,
      true
    ]);
    expect(
      ['succeeded', 'failed', 'cancelled'].map(s => isFinished(s as any))
    ).toEqual([true, true, true]);
    expect(isFinished('running')).toBe(false);
    expect(isActive('cancelled')).toBe(false);
  });

  it('says the progress in words', () => {
    expect(progressText(job())).toBe('running cell 2 of 5');
    expect(progressText(job({ progress: { cell: 9, total: 5 } }))).toBe(
      'running cell 5 of 5'
    );
    expect(progressText(job({ progress: { cell: 0, total: 0 } }))).toBe(
      'starting the kernel'
    );
    expect(progressText(job({ state: 'queued' }))).toBe(
      'queued, waiting to start'
    );
    expect(progressText(job({ state: 'succeeded' }))).toBe('finished');
    expect(progressText(job({ state: 'cancelled' }))).toBe('cancelled');
    expect(progressText(job({ state: 'failed', error: 'kernel died' }))).toBe(
      'failed: kernel died'
    );
  });

  it('gives the progress bar a clamped value', () => {
    expect(progressValue(job())).toEqual({ value: 2, max: 5 });
    expect(progressValue(job({ progress: { cell: 7, total: 5 } }))).toEqual({
      value: 5,
      max: 5
    });
    expect(progressValue(job({ state: 'succeeded' }))).toEqual({
      value: 5,
      max: 5
    });
    expect(progressValue(job({ progress: { cell: 0, total: 0 } }))).toEqual({
      value: 0,
      max: 0
    });
  });

  it('picks the newest job, an active one first', () => {
    expect(latestJob([])).toBeNull();
    const old = job({
      id: 'old',
      state: 'succeeded',
      created_at: '2026-01-01'
    });
    const recent = job({
      id: 'new',
      state: 'failed',
      created_at: '2026-01-02'
    });
    const active = job({
      id: 'act',
      state: 'queued',
      created_at: '2025-12-31'
    });
    expect(latestJob([old, recent])?.id).toBe('new');
    expect(latestJob([recent, old])?.id).toBe('new');
    expect(latestJob([old, active, recent])?.id).toBe('act');
  });
});

describe('pins and risks', () => {
  it('reads them from extra, tolerating anything', () => {
    expect(runPin({ extra: null })).toBeNull();
    expect(runPin({ extra: { pin: null } })).toBeNull();
    expect(runPin({ extra: { pin: 'git' } })).toBeNull();
    expect(runPin({ extra: { pin: { kind: 'history' } } })).toEqual({
      kind: 'history'
    });
    expect(
      runRisks({ extra: { risks: ['reads data.csv', { x: 1 }] } })
    ).toEqual(['reads data.csv', '{"x":1}']);
    expect(runRisks({ extra: [] })).toEqual([]);
  });

  it('names what a run is pinned to', () => {
    expect(pinLabel({ kind: 'git', commit: 'abc1234def5678' })).toBe(
      'git commit abc1234'
    );
    expect(pinLabel({ kind: 'git' })).toBe('git commit');
    expect(pinLabel({ kind: 'snapshot' })).toBe('notebook snapshot');
    expect(pinLabel({ kind: 'history' })).toBe('execution history');
    expect(pinLabel(null)).toContain('cannot be reproduced');
  });
});

describe('verdicts', () => {
  it('lists unequal metrics first, formatted', () => {
    const rows = verdictMetricRows(
      verdict({
        metrics: {
          b: { original: 1, reproduced: 1, equal: true },
          z: { original: 0.123456, reproduced: 'NaN', equal: false },
          a: { original: 2, reproduced: null, equal: false }
        }
      })
    );
    expect(rows).toEqual([
      { key: 'a', original: '2', reproduced: '—', equal: false },
      { key: 'z', original: '0.1235', reproduced: 'NaN', equal: false },
      { key: 'b', original: '1', reproduced: '1', equal: true }
    ]);
  });

  it('summarises each status in words', () => {
    expect(verdictSummary(verdict())).toBe('reproduced: 2 metrics equal');
    expect(verdictSummary(verdict({ metrics: {} }))).toBe(
      'reproduced (no metrics to compare)'
    );
    expect(
      verdictSummary(
        verdict({
          status: 'diverged',
          metrics: { acc: { original: 1, reproduced: 0, equal: false } }
        })
      )
    ).toBe('diverged: 1 of 1 metric differ');
    expect(
      verdictSummary(
        verdict({
          status: 'failed',
          failure: {
            cell: 4,
            cell_index: 3,
            ename: 'ValueError',
            evalue: 'bad'
          }
        })
      )
    ).toBe('failed at cell 4: ValueError: bad');
    expect(failureText(null)).toBe('—');
  });

  it('names the failed cell as a person counts the cells', () => {
    // An older server gives only the index from 0.
    expect(
      failureText({ cell_index: 3, ename: 'KeyError', evalue: "'x'" })
    ).toBe("cell 4: KeyError: 'x'");
    expect(
      failureText({ cell: 0, cell_index: 0, ename: 'NameError', evalue: '' })
    ).toBe('cell 0 (the injected parameters): NameError');
    expect(failureText({ cell: 2, cell_index: 1, ename: '', evalue: '' })).toBe(
      'cell 2: error'
    );
  });

  it('explains the nondeterminism check', () => {
    expect(nondeterminismText(null)).toBeNull();
    expect(nondeterminismText(true)).toContain('nondeterministic');
    expect(nondeterminismText(false)).toContain('deterministic');
  });

  it('parses a tolerance typed by a user', () => {
    expect(parseTolerance('')).toBeUndefined();
    expect(parseTolerance(' 1e-6 ')).toBe(1e-6);
    expect(parseTolerance('-1')).toBeNaN();
    expect(parseTolerance('0')).toBeNaN();
    expect(parseTolerance('abc')).toBeNaN();
  });
});

describe('starting a reproduction', () => {
  it('says why a run cannot be reproduced now', () => {
    const pin: Mlops.IPin = { kind: 'snapshot' };
    expect(blocker({ status: 'finished' } as Mlops.IRun, pin)).toBeNull();
    expect(blocker({ status: 'running' } as Mlops.IRun, pin)).toContain(
      'still running'
    );
    expect(blocker({ status: 'failed' } as Mlops.IRun, null)).toContain(
      'cannot be reproduced'
    );
  });

  it('sends the tolerance and twice only when given', () => {
    expect(reproduceOptions(undefined, false)).toEqual({});
    expect(reproduceOptions(1e-6, false)).toEqual({ tolerance: 1e-6 });
    expect(reproduceOptions(undefined, true)).toEqual({ twice: true });
  });
});
