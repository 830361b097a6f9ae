import { MlopsClient } from '../../client';
import { ApiError } from '../../errors';
import { RunsModel } from '../../runs/model';
import { Mlops } from '../../types';
import { waitFor } from '../signals';

function summary(id: string, experiment: string): Mlops.IRunSummary {
  return {
    id,
    name: id,
    experiment,
    status: 'finished',
    started_at: '2026-01-01T00:00:00Z',
    ended_at: null,
    duration: 1,
    params: { lr: 0.1 },
    metrics: { loss: 0.5 },
    tags: {},
    reproduction_of: null,
    sweep_id: null,
    git: null,
    notebook_path: null,
    error_type: null
  };
}

/** A fake server: runs per experiment and a version string. */
class FakeClient {
  version = 'v1';
  data: Record<string, Mlops.IRunSummary[]> = {
    'a.ipynb': [summary('a1', 'a.ipynb'), summary('a2', 'a.ipynb')],
    'b.ipynb': [summary('b1', 'b.ipynb')]
  };
  calls: Mlops.IRunQuery[] = [];
  badFilter = false;
  down = false;
  skipped: Record<string, Mlops.ISkippedRun[]> = {};

  async runs(query: Mlops.IRunQuery = {}): Promise<Mlops.IRunPage> {
    this.calls.push(query);
    if (this.down) {
      throw new ApiError(503, 'the run database db is unreachable');
    }
    if (this.badFilter && query.filter) {
      throw new ApiError(400, 'syntax error at column 5');
    }
    const all = query.experiment
      ? (this.data[query.experiment] ?? [])
      : Object.values(this.data).flat();
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 100;
    return {
      runs: all.slice(offset, offset + limit),
      skipped: query.experiment ? this.skipped[query.experiment] : undefined,
      total: all.length,
      offset,
      limit,
      version: this.version
    };
  }

  async experiments(): Promise<Mlops.IExperimentList> {
    return {
      experiments: Object.keys(this.data).map(name => ({
        name,
        runs: this.data[name].length,
        last_started_at: null
      }))
    };
  }
}

describe('RunsModel', () => {
  let fake: FakeClient;
  let model: RunsModel;

  beforeEach(() => {
    fake = new FakeClient();
    model = new RunsModel({
      client: fake as unknown as MlopsClient,
      standby: () => false,
      interval: 50
    });
  });
  afterEach(() => model.dispose());

  it('loads groups with their runs', async () => {
    await waitFor(model, () => !model.loading && model.groups.length === 2);
    expect(model.groups.map(g => [g.name, g.total])).toEqual([
      ['a.ipynb', 2],
      ['b.ipynb', 1]
    ]);
    expect(model.layout.count).toBe(5);
    expect(model.runAt(0, 1)?.id).toBe('a2');
    expect(model.keys).toEqual({ params: ['lr'], metrics: ['loss'] });
  });

  it('re-fetches only when the version changes', async () => {
    await waitFor(model, () => model.groups.length === 2);
    await new Promise(r => setTimeout(r, 250));
    const listing = fake.calls.filter(c => c.experiment).length;
    expect(listing).toBeLessThanOrEqual(3);
    fake.data['b.ipynb'].push(summary('b2', 'b.ipynb'));
    fake.version = 'v2';
    await waitFor(model, () => model.groups[1]?.total === 2);
    expect(model.runAt(1, 1)?.id).toBe('b2');
  });

  it('says which runs could not be read, and forgets them once they read again', async () => {
    await waitFor(model, () => model.groups.length === 2);
    expect(model.skipped).toEqual([]);
    fake.skipped['a.ipynb'] = [
      { id: 'bad1', reason: 'run bad1 cannot be read: invalid JSON in params' }
    ];
    fake.version = 'v2';
    await waitFor(model, () => model.skipped.length === 1);
    expect(model.skipped).toEqual([
      { id: 'bad1', reason: 'run bad1 cannot be read: invalid JSON in params' }
    ]);
    fake.skipped = {};
    fake.version = 'v3';
    await waitFor(model, () => model.skipped.length === 0);
  });

  it('shows the server message of a bad filter', async () => {
    await waitFor(model, () => model.groups.length === 2);
    fake.badFilter = true;
    model.setFilter('params.lr <');
    await waitFor(model, () => model.filterError !== null);
    expect(model.filterError).toBe('syntax error at column 5');
    fake.badFilter = false;
    model.setFilter('params.lr < 1');
    await waitFor(model, () => model.filterError === null);
  });

  it('keeps the runs on screen while the database is away, and recovers', async () => {
    await waitFor(model, () => model.groups.length === 2);
    fake.down = true;
    await waitFor(model, () => model.error !== null);
    expect(model.error?.summary).toContain('unreachable');
    expect(model.groups.map(g => g.total)).toEqual([2, 1]);
    expect(model.runAt(0, 1)?.id).toBe('a2');
    fake.data['b.ipynb'].push(summary('b2', 'b.ipynb'));
    fake.version = 'v2';
    fake.down = false;
    await waitFor(
      model,
      () => model.error === null && model.groups[1]?.total === 2,
      4000
    );
  });

  it('toggles selection, sort order and groups', async () => {
    await waitFor(model, () => model.groups.length === 2);
    model.toggleSelected('a1');
    model.toggleSelected('b1');
    expect(model.selected).toEqual(['a1', 'b1']);
    model.toggleSelected('a1');
    expect(model.selected).toEqual(['b1']);
    expect(model.sort).toEqual({ key: 'started_at', order: 'desc' });
    model.setSort('started_at');
    expect(model.sort.order).toBe('asc');
    model.setSort('name');
    expect(model.sort).toEqual({ key: 'name', order: 'asc' });
    model.toggleGroup('a.ipynb');
    expect(model.layout.count).toBe(3);
    await waitFor(model, () =>
      fake.calls.some(c => c.sort === 'name' && c.order === 'asc')
    );
  });

  it('nests a reproduction under its original without changing the row count', async () => {
    const repro = { ...summary('a3', 'a.ipynb'), reproduction_of: 'a2' };
    fake.data['a.ipynb'].unshift(repro);
    fake.version = 'v2';
    await waitFor(model, () => model.groups[0]?.total === 3);
    expect(model.layout.count).toBe(6);
    expect([0, 1, 2].map(i => model.runAt(0, i)?.id)).toEqual([
      'a1',
      'a2',
      'a3'
    ]);
    expect(model.entryAt(0, 2)).toMatchObject({ depth: 1, detached: false });
    expect(model.entryAt(0, 2)?.parent?.id).toBe('a2');
  });

  it('shows the runs of a sweep under a collapsible header row', async () => {
    const swept = (id: string) => ({
      ...summary(id, 'a.ipynb'),
      sweep_id: 'feedc0de00000000'
    });
    fake.data['a.ipynb'] = [swept('s1'), summary('a1', 'a.ipynb'), swept('s2')];
    fake.version = 'v2';
    await waitFor(model, () => model.groups[0]?.total === 3);
    // a: header, sweep header, s1, s2, a1; b: header, b1
    expect(model.layout.count).toBe(7);
    const shown = () =>
      Array.from({ length: model.layout.count }, (_, i) => {
        const row = model.layout.rowAt(i)!;
        const item = model.rowEntry(row);
        return row.kind === 'group'
          ? `group ${row.group}`
          : item?.kind === 'sweep'
            ? `sweep ${item.runIds.join(',')}`
            : item?.entry.run.id;
      });
    expect(shown()).toEqual([
      'group 0',
      'sweep s1,s2',
      's1',
      's2',
      'a1',
      'group 1',
      'b1'
    ]);
    model.toggleSweep('feedc0de00000000');
    expect(model.isSweepCollapsed('feedc0de00000000')).toBe(true);
    expect(shown()).toEqual(['group 0', 'sweep s1,s2', 'a1', 'group 1', 'b1']);
    model.toggleSweep('feedc0de00000000');
    expect(model.layout.count).toBe(7);
    // Run offsets keep the server's order.
    expect(model.runAt(0, 1)?.id).toBe('a1');
  });
});
