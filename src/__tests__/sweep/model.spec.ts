import { ApiError } from '../../errors';
import { ISweepClient, SweepModel } from '../../sweep/model';
import { Mlops } from '../../types';
import { runSummary } from '../fixtures';
import { waitFor } from '../signals';

function job(patch: Partial<Mlops.ISweepJob> = {}): Mlops.ISweepJob {
  return {
    id: 'j1',
    kind: 'sweep',
    sweep_id: 's1',
    run_id: 'r1',
    state: 'running',
    progress: { done: 0, running: 2, failed: 0, total: 2 },
    log_tail: '',
    error: null,
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    ended_at: null,
    ...patch
  };
}

function sweep(runIds: string[][]): Mlops.ISweep {
  return {
    id: 's1',
    notebook: 'nb.ipynb',
    grid: { lr: [0.1, 0.2] },
    created_at: '2026-01-01T00:00:00Z',
    executions: runIds.map((run_ids, index) => ({
      index,
      params: { lr: (index + 1) / 10 },
      status: run_ids.length ? 'finished' : 'running',
      run_ids,
      error: null
    }))
  };
}

/** A fake server: each `job()` call returns the next state of a script. */
class FakeSweeps implements ISweepClient {
  script: Mlops.AnyJob[] = [];
  listed: Mlops.AnyJob[] = [];
  sweepReply: Mlops.ISweep = sweep([[], []]);
  calls: string[] = [];
  startError: Error | null = null;

  async startSweep(request: Mlops.ISweepRequest): Promise<Mlops.ISweepJob> {
    this.calls.push(`POST ${JSON.stringify(request)}`);
    if (this.startError) {
      throw this.startError;
    }
    return job({ run_id: request.run_id, state: 'queued' });
  }

  async sweep(id: string): Promise<Mlops.ISweep> {
    this.calls.push(`SWEEP ${id}`);
    return this.sweepReply;
  }

  async job(id: string): Promise<Mlops.AnyJob> {
    this.calls.push(`GET ${id}`);
    return this.script.length > 1 ? this.script.shift()! : this.script[0];
  }

  async cancelJob(id: string): Promise<Mlops.AnyJob> {
    this.calls.push(`DELETE ${id}`);
    return job({ id, state: 'cancelled' });
  }

  async jobs(runId: string): Promise<Mlops.AnyJob[]> {
    this.calls.push(`LIST ${runId}`);
    return this.listed;
  }

  async runs(query: Mlops.IRunQuery = {}): Promise<Mlops.IRunPage> {
    this.calls.push(`RUNS ${query.filter}`);
    const ids = [...(query.filter ?? '').matchAll(/"(\w+)"/g)].map(m => m[1]);
    return {
      runs: ids.map(id => runSummary(id, { metrics: { acc: 0.5 } })),
      total: ids.length,
      offset: 0,
      limit: ids.length,
      version: 'v'
    };
  }
}

describe('SweepModel', () => {
  let fake: FakeSweeps;
  let model: SweepModel;

  beforeEach(() => {
    fake = new FakeSweeps();
    model = new SweepModel({
      client: fake,
      runId: 'r1',
      interval: 20,
      standby: 'never'
    });
  });
  afterEach(() => model.dispose());

  it('starts a sweep, follows it to the end and lists its runs', async () => {
    fake.script = [
      job({ progress: { done: 1, running: 1, failed: 0, total: 2 } }),
      job({
        state: 'succeeded',
        progress: { done: 2, running: 0, failed: 0, total: 2 }
      })
    ];
    await model.start({ lr: [0.1, 0.2] }, 2);
    expect(fake.calls[0]).toBe(
      'POST {"run_id":"r1","grid":{"lr":[0.1,0.2]},"workers":2}'
    );
    fake.sweepReply = sweep([['n1'], ['n2']]);
    await waitFor(
      model,
      () =>
        model.job?.state === 'succeeded' &&
        model.sweep?.executions[1].run_ids[0] === 'n2'
    );
    expect(model.polling).toBe(false);
    // The runs of the ended executions are listed (for their metrics).
    await waitFor(model, () => model.runs.size === 2);
    expect(fake.calls).toContain('RUNS id = "n1" or id = "n2"');
    expect(model.runs.get('n2')?.metrics).toEqual({ acc: 0.5 });
  });

  it('cancels the active sweep', async () => {
    fake.script = [job()];
    await model.start({ lr: [1] });
    await model.cancel();
    expect(model.job?.state).toBe('cancelled');
    expect(fake.calls).toContain('DELETE j1');
    expect(model.polling).toBe(false);
  });

  it('shows why a sweep cannot start', async () => {
    fake.startError = new ApiError(400, 'too many combinations');
    await model.start({ lr: [1] });
    expect(model.error?.summary).toBe('too many combinations');
    expect(model.job).toBeNull();
  });

  it('restores the latest sweep of the run, not a reproduction', async () => {
    fake.listed = [
      {
        id: 'rep',
        kind: 'reproduce',
        run_id: 'r1',
        state: 'succeeded',
        progress: { cell: 1, total: 1 },
        log_tail: '',
        verdict: null,
        error: null,
        created_at: '2026-02-01T00:00:00Z',
        started_at: null,
        ended_at: null
      },
      job({ id: 'old', state: 'succeeded' })
    ];
    await model.restore();
    expect(model.job?.id).toBe('old');
  });
});
