import { MlopsClient, queryString } from '../client';
import { requestAPI } from '../request';

jest.mock('../request', () => ({
  requestAPI: jest.fn(() => Promise.resolve({})),
  endpointUrl: (path: string) => `http://lab/mlops-jupyter/api/${path}`
}));

const mocked = requestAPI as jest.MockedFunction<typeof requestAPI>;

describe('MlopsClient', () => {
  beforeEach(() => mocked.mockClear());
  const client = new MlopsClient();

  it('encodes every query value', async () => {
    await client.runs({
      filter: 'params.lr < 0.1 and name ~ "a&b"',
      sort: 'metrics.a/b',
      order: 'desc',
      limit: 200,
      offset: 0,
      experiment: 'nb/x y.ipynb'
    });
    expect(mocked).toHaveBeenCalledWith(
      'runs?filter=params.lr%20%3C%200.1%20and%20name%20~%20%22a%26b%22&sort=metrics.a%2Fb&order=desc&limit=200&offset=0&experiment=nb%2Fx%20y.ipynb'
    );
  });

  it('links an artifact by its index, every part encoded', () => {
    expect(client.artifactUrl('r/1', 2)).toBe(
      'http://lab/mlops-jupyter/api/runs/r%2F1/artifacts/2'
    );
  });

  it('leaves out empty query values', () => {
    expect(queryString({ a: undefined, b: '', c: null })).toBe('');
    expect(queryString({ a: 0 })).toBe('?a=0');
  });

  it('encodes every path part', async () => {
    await client.run('a/../b');
    expect(mocked).toHaveBeenLastCalledWith('runs/a%2F..%2Fb');
    await client.metricSeries('r1', 'val/loss', 500);
    expect(mocked).toHaveBeenLastCalledWith(
      'runs/r1/metrics/val%2Floss?points=500'
    );
    await client.metrics('r1');
    expect(mocked).toHaveBeenLastCalledWith('runs/r1/metrics');
    await client.blob('r1', 'diff');
    expect(mocked).toHaveBeenLastCalledWith('runs/r1/blobs/diff');
    await client.compare(['a', 'b,c']);
    expect(mocked).toHaveBeenLastCalledWith('compare?ids=a%2Cb%2Cc');
    await client.experiments();
    expect(mocked).toHaveBeenLastCalledWith('experiments');
  });

  it('starts, reads, cancels and lists reproduction jobs', async () => {
    const job = { id: 'j/1' };
    mocked.mockResolvedValue({ job, jobs: [job] } as any);
    expect(await client.reproduce('a/b', { tolerance: 0.5, twice: true })).toBe(
      job
    );
    expect(mocked).toHaveBeenLastCalledWith('runs/a%2Fb/reproduce', {
      method: 'POST',
      body: '{"tolerance":0.5,"twice":true}'
    });
    await client.reproduce('r1');
    expect(mocked).toHaveBeenLastCalledWith('runs/r1/reproduce', {
      method: 'POST',
      body: '{}'
    });
    expect(await client.job('j/1')).toBe(job);
    expect(mocked).toHaveBeenLastCalledWith('jobs/j%2F1');
    expect(await client.cancelJob('j/1')).toBe(job);
    expect(mocked).toHaveBeenLastCalledWith('jobs/j%2F1', {
      method: 'DELETE'
    });
    expect(await client.jobs('r&1')).toEqual([job]);
    expect(mocked).toHaveBeenLastCalledWith('jobs?run_id=r%261');
    mocked.mockImplementation(() => Promise.resolve({}));
  });
});
