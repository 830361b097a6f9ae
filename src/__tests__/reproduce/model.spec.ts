import { ApiError } from '../../errors';
import { IJobClient, ReproductionModel } from '../../reproduce/model';
import { Mlops } from '../../types';
import { waitFor } from '../signals';

function job(patch: Partial<Mlops.IJob> = {}): Mlops.IJob {
  return {
    id: 'j1',
    kind: 'reproduce',
    run_id: 'r1',
    state: 'queued',
    progress: { cell: 0, total: 3 },
    log_tail: '',
    verdict: null,
    error: null,
    created_at: '2026-01-01T00:00:00Z',
    started_at: null,
    ended_at: null,
    ...patch
  };
}

/** A fake server: each `job()` call returns the next state of a script. */
class FakeJobs implements IJobClient {
  script: Mlops.IJob[] = [];
  listed: Mlops.IJob[] = [];
  calls: string[] = [];
  reproduceError: Error | null = null;
  jobError: Error | null = null;

  async reproduce(
    id: string,
    options: Mlops.IReproduceOptions = {}
  ): Promise<Mlops.IJob> {
    this.calls.push(`POST ${id} ${JSON.stringify(options)}`);
    if (this.reproduceError) {
      throw this.reproduceError;
    }
    return job({ run_id: id });
  }

  async job(id: string): Promise<Mlops.IJob> {
    this.calls.push(`GET ${id}`);
    if (this.jobError) {
      throw this.jobError;
    }
    return this.script.length > 1 ? this.script.shift()! : this.script[0];
  }

  async cancelJob(id: string): Promise<Mlops.IJob> {
    this.calls.push(`DELETE ${id}`);
    return job({ id, state: 'cancelled' });
  }

  async jobs(runId: string): Promise<Mlops.IJob[]> {
    this.calls.push(`LIST ${runId}`);
    return this.listed;
  }
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe('ReproductionModel', () => {
  let fake: FakeJobs;
  let model: ReproductionModel;

  beforeEach(() => {
    fake = new FakeJobs();
    model = new ReproductionModel({
      client: fake,
      runId: 'r1',
      interval: 10,
      standby: 'never'
    });
  });
  afterEach(() => model.dispose());

  it('starts a job and follows it until it ends, then stops polling', async () => {
    const verdict = { status: 'reproduced' } as Mlops.IVerdict;
    fake.script = [
      job({ state: 'running', progress: { cell: 1, total: 3 } }),
      job({ state: 'running', progress: { cell: 3, total: 3 } }),
      job({ state: 'succeeded', verdict })
    ];
    const seen: string[] = [];
    model.changed.connect(() => {
      const j = model.job;
      if (j) {
        seen.push(`${j.state}:${j.progress.cell}`);
      }
    });
    await model.start({ tolerance: 0.01 });
    expect(fake.calls[0]).toBe('POST r1 {"tolerance":0.01}');
    expect(model.polling).toBe(true);
    await waitFor(model, () => model.job?.state === 'succeeded');
    expect(model.job?.verdict).toBe(verdict);
    expect(model.polling).toBe(false);
    expect(seen).toContain('running:1');
    expect(seen).toContain('running:3');
    const gets = fake.calls.filter(c => c.startsWith('GET')).length;
    await sleep(60);
    expect(fake.calls.filter(c => c.startsWith('GET')).length).toBe(gets);
  });

  it("shows the server's message when the job cannot start", async () => {
    fake.reproduceError = new ApiError(400, 'run r1 has no pin');
    await model.start();
    expect(model.error?.summary).toBe('run r1 has no pin');
    expect(model.job).toBeNull();
    expect(model.busy).toBe(false);
  });

  it('cancels the active job', async () => {
    fake.script = [job({ state: 'running' })];
    await model.start();
    await model.cancel();
    expect(fake.calls).toContain('DELETE j1');
    expect(model.job?.state).toBe('cancelled');
    expect(model.polling).toBe(false);
  });

  it('stops polling when disposed', async () => {
    fake.script = [job({ state: 'running' })];
    await model.start();
    await sleep(40);
    model.dispose();
    const count = fake.calls.length;
    await sleep(60);
    expect(fake.calls.length).toBe(count);
  });

  it('stops following a job the server forgot', async () => {
    fake.jobError = new ApiError(404, 'no job j1');
    await model.start();
    await waitFor(model, () => model.error !== null);
    expect(model.error?.summary).toContain('no longer knows');
    expect(model.polling).toBe(false);
  });

  it('restores the latest job of the run and follows it if active', async () => {
    fake.listed = [
      job({ id: 'old', state: 'succeeded', created_at: '2025-01-01' }),
      job({ id: 'j1', state: 'running' })
    ];
    fake.script = [job({ state: 'succeeded' })];
    await model.restore();
    expect(model.job?.id).toBe('j1');
    await waitFor(model, () => model.job?.state === 'succeeded');
  });

  it('ignores a failing job listing', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    fake.jobs = async () => {
      throw new ApiError(404, 'Not Found');
    };
    await model.restore();
    expect(model.job).toBeNull();
    expect(model.error).toBeNull();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });
});
