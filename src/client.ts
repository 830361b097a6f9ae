import { endpointUrl, requestAPI } from './request';
import { Mlops } from './types';

/**
 * Build a query string from defined values; every key and value is URL-encoded.
 *
 * @returns `''` or `'?k=v&...'`
 */
export function queryString(
  query: Record<string, string | number | undefined | null>
): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    parts.push(
      `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`
    );
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A run's endpoint path; the id is URL-encoded. */
function runPath(id: string, ...rest: string[]): string {
  return ['runs', id, ...rest].map(encodeURIComponent).join('/');
}

/** A job's endpoint path; the id is URL-encoded. */
function jobPath(id: string): string {
  return ['jobs', id].map(encodeURIComponent).join('/');
}

/** A sweep's endpoint path; the id is URL-encoded. */
function sweepPath(id: string): string {
  return ['sweeps', id].map(encodeURIComponent).join('/');
}

/** A typed client for the mlops-jupyter REST API. */
export class MlopsClient {
  /** The server extension's version and store location. */
  status(): Promise<Mlops.IStatus> {
    return requestAPI<Mlops.IStatus>('status');
  }

  /** A page of runs matching a filter, sorted. */
  runs(query: Mlops.IRunQuery = {}): Promise<Mlops.IRunPage> {
    return requestAPI<Mlops.IRunPage>(
      `runs${queryString({
        filter: query.filter,
        sort: query.sort,
        order: query.order,
        limit: query.limit,
        offset: query.offset,
        experiment: query.experiment
      })}`
    );
  }

  /** Everything recorded about one run. */
  run(id: string): Promise<Mlops.IRun> {
    return requestAPI<Mlops.IRun>(runPath(id));
  }

  /** The metric keys of a run with their last values. */
  metrics(id: string): Promise<Mlops.IMetricList> {
    return requestAPI<Mlops.IMetricList>(runPath(id, 'metrics'));
  }

  /** One metric's series, downsampled by the server to about `points` points. */
  metricSeries(
    id: string,
    key: string,
    points = 500
  ): Promise<Mlops.IMetricSeries> {
    return requestAPI<Mlops.IMetricSeries>(
      `${runPath(id, 'metrics', key)}${queryString({ points })}`
    );
  }

  /** A stored blob of a run (source, notebook, git diff, environment, history). */
  blob<T = unknown>(id: string, kind: Mlops.BlobKind): Promise<T> {
    return requestAPI<T>(runPath(id, 'blobs', kind));
  }

  /**
   * Where the browser downloads a run's artifact (by its index among the run's artifacts): the
   * server answers it as an attachment, never shown inline.
   */
  artifactUrl(id: string, index: number): string {
    return endpointUrl(runPath(id, 'artifacts', String(index)));
  }

  /** Side-by-side comparison of runs. */
  compare(ids: readonly string[]): Promise<Mlops.ICompareResult> {
    return requestAPI<Mlops.ICompareResult>(
      `compare${queryString({ ids: ids.join(',') })}`
    );
  }

  /** The experiments with their run counts. */
  experiments(): Promise<Mlops.IExperimentList> {
    return requestAPI<Mlops.IExperimentList>('experiments');
  }

  /** Start reproducing a run (or get the job already reproducing it). */
  async reproduce(
    id: string,
    options: Mlops.IReproduceOptions = {}
  ): Promise<Mlops.IJob> {
    const body: Mlops.IReproduceOptions = {
      ...(options.tolerance !== undefined
        ? { tolerance: options.tolerance }
        : {}),
      ...(options.twice !== undefined ? { twice: options.twice } : {})
    };
    const reply = await requestAPI<Mlops.IJobReply>(runPath(id, 'reproduce'), {
      method: 'POST',
      body: JSON.stringify(body)
    });
    return reply.job;
  }

  /** A job's state, progress and (when done) verdict. */
  async job(id: string): Promise<Mlops.AnyJob> {
    return (await requestAPI<Mlops.IJobReply<Mlops.AnyJob>>(jobPath(id))).job;
  }

  /** Cancel a job; returns its state after the request. */
  async cancelJob(id: string): Promise<Mlops.AnyJob> {
    return (
      await requestAPI<Mlops.IJobReply<Mlops.AnyJob>>(jobPath(id), {
        method: 'DELETE'
      })
    ).job;
  }

  /** The jobs about a run (reproductions and sweeps). */
  async jobs(runId: string): Promise<Mlops.AnyJob[]> {
    return (
      await requestAPI<Mlops.IJobList>(`jobs${queryString({ run_id: runId })}`)
    ).jobs;
  }

  /** Start a sweep: the run's code once per combination of the grid. */
  async startSweep(request: Mlops.ISweepRequest): Promise<Mlops.ISweepJob> {
    const body: Mlops.ISweepRequest = {
      run_id: request.run_id,
      grid: request.grid,
      ...(request.workers !== undefined ? { workers: request.workers } : {})
    };
    const reply = await requestAPI<Mlops.IJobReply<Mlops.ISweepJob>>('sweeps', {
      method: 'POST',
      body: JSON.stringify(body)
    });
    return reply.job;
  }

  /** A sweep with its executions and the runs they recorded. */
  async sweep(id: string): Promise<Mlops.ISweep> {
    return (await requestAPI<Mlops.ISweepReply>(sweepPath(id))).sweep;
  }
}
