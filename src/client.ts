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

/** A model's endpoint path; every part is URL-encoded. */
function modelPath(name: string, ...rest: (string | number)[]): string {
  return ['models', name, ...rest.map(String)]
    .map(encodeURIComponent)
    .join('/');
}

/** A POST with a JSON body. */
function post(body: unknown): RequestInit {
  return { method: 'POST', body: JSON.stringify(body) };
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

  /** Start a determinism check of a run (or get the one already checking it). */
  async checkDeterminism(
    id: string,
    options: Mlops.IDeterminismOptions = {}
  ): Promise<Mlops.IDeterminismJob> {
    const body: Mlops.IDeterminismOptions = {
      ...(options.repeats !== undefined ? { repeats: options.repeats } : {}),
      ...(options.strict !== undefined ? { strict: options.strict } : {})
    };
    const reply = await requestAPI<Mlops.IJobReply<Mlops.IDeterminismJob>>(
      runPath(id, 'determinism'),
      post(body)
    );
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

  // -- The model registry ---------------------------------------------------------------

  /** The registered models with their versions count, latest version and aliases. */
  async models(): Promise<Mlops.IModelSummary[]> {
    return (await requestAPI<Mlops.IModelList>('models')).models;
  }

  /** A model with its aliases and its versions (newest first). */
  model(name: string): Promise<Mlops.IModel> {
    return requestAPI<Mlops.IModel>(modelPath(name));
  }

  /** One version with its files, aliases and producing run. */
  modelVersion(name: string, version: number): Promise<Mlops.IVersionDetail> {
    return requestAPI<Mlops.IVersionDetail>(
      modelPath(name, 'versions', version)
    );
  }

  /**
   * Where the browser downloads a version's file (by its index in the manifest): the server
   * answers it as an attachment, never shown inline.
   */
  modelFileUrl(name: string, version: number, index: number): string {
    return endpointUrl(modelPath(name, 'versions', version, 'files', index));
  }

  /** Register the next version of a model from a run's artifacts (201). */
  registerVersion(
    name: string,
    request: Mlops.IRegisterRequest
  ): Promise<Mlops.IVersionDetail> {
    return requestAPI<Mlops.IVersionDetail>(
      modelPath(name, 'versions'),
      post(request)
    );
  }

  /** A model's events, oldest first (one alias's moves with `alias`). */
  async history(name: string, alias?: string): Promise<Mlops.IEvent[]> {
    return (
      await requestAPI<Mlops.IEventList>(
        `${modelPath(name, 'history')}${queryString({ alias })}`
      )
    ).events;
  }

  /** Point an alias at a version; `expect` is the holder the caller saw (409 if it moved). */
  async setAlias(
    name: string,
    alias: string,
    move: Mlops.IAliasMove
  ): Promise<Mlops.IEvent> {
    return (
      await requestAPI<Mlops.IEventEnvelope>(
        modelPath(name, 'aliases', alias),
        {
          method: 'PUT',
          body: JSON.stringify(move)
        }
      )
    ).event;
  }

  /** Move an alias back to its holder before its last move (409: nothing to roll back to). */
  async rollback(
    name: string,
    alias: string,
    reason: string
  ): Promise<Mlops.IEvent> {
    return (
      await requestAPI<Mlops.IEventEnvelope>(
        modelPath(name, 'aliases', alias, 'rollback'),
        post({ reason })
      )
    ).event;
  }

  /** What a reference was made from (`reverse`: what was made from it). */
  lineage(ref: string, reverse = false): Promise<Mlops.ILineage> {
    return requestAPI<Mlops.ILineage>(
      `lineage${queryString({ ref, reverse: reverse ? '1' : undefined })}`
    );
  }

  // -- Gates, approvals, promotion --------------------------------------------------------

  /** Gate a candidate version against an alias's holder (200 whether it passed or not). */
  gate(
    name: string,
    version: number,
    request: Mlops.IGateRequest
  ): Promise<Mlops.IGateResult> {
    return requestAPI<Mlops.IGateResult>(
      modelPath(name, 'versions', version, 'gate'),
      post(request)
    );
  }

  /** A model's gate results, newest first. */
  async gates(
    name: string,
    query: { version?: number; against?: string } = {}
  ): Promise<Mlops.IGateResult[]> {
    return (
      await requestAPI<Mlops.IGateList>(
        `${modelPath(name, 'gates')}${queryString(query)}`
      )
    ).gates;
  }

  /** A model's effective policy (the defaults included). */
  policy(name: string): Promise<Mlops.IPolicy> {
    return requestAPI<Mlops.IPolicy>(modelPath(name, 'policy'));
  }

  /** Ask for approval to promote a version to an alias (201). */
  requestApproval(
    name: string,
    request: Mlops.IApprovalRequestBody
  ): Promise<Mlops.IApprovalRequest> {
    return requestAPI<Mlops.IApprovalRequest>(
      modelPath(name, 'approvals'),
      post(request)
    );
  }

  /** Approval requests, newest first, and who the user is. */
  approvals(query: Mlops.IApprovalQuery = {}): Promise<Mlops.IApprovalList> {
    return requestAPI<Mlops.IApprovalList>(
      `approvals${queryString({
        name: query.name,
        status: query.status,
        for_me: query.forMe ? '1' : undefined
      })}`
    );
  }

  /** Approve a request (409 when the user may not). */
  approve(id: string, comment?: string): Promise<Mlops.IApprovalRequest> {
    return requestAPI<Mlops.IApprovalRequest>(
      ['approvals', id, 'approve'].map(encodeURIComponent).join('/'),
      post(comment ? { comment } : {})
    );
  }

  /** Reject a request, saying why. */
  reject(id: string, comment: string): Promise<Mlops.IApprovalRequest> {
    return requestAPI<Mlops.IApprovalRequest>(
      ['approvals', id, 'reject'].map(encodeURIComponent).join('/'),
      post({ comment })
    );
  }

  /**
   * Promote a version to a gated alias. A refusal is an `ApiError` (409) whose `reasons` list
   * every missing condition.
   */
  promote(
    name: string,
    request: Mlops.IPromoteRequest
  ): Promise<Mlops.IPromoteReply> {
    return requestAPI<Mlops.IPromoteReply>(
      modelPath(name, 'promote'),
      post(request)
    );
  }

  // -- Data drift -----------------------------------------------------------------------

  /** Recorded drift checks, newest first (of one model's versions with `model`). */
  async driftChecks(
    query: { model?: string; limit?: number } = {}
  ): Promise<Mlops.IDriftCheck[]> {
    return (
      await requestAPI<Mlops.IDriftCheckList>(
        `drift/checks${queryString(query)}`
      )
    ).checks;
  }

  /** One recorded check with its full report. */
  driftCheck(id: number): Promise<Mlops.IDriftCheck> {
    return requestAPI<Mlops.IDriftCheck>(
      `drift/checks/${encodeURIComponent(String(id))}`
    );
  }

  /** Check a data file under the server's root against a reference, and record it (201). */
  checkDrift(request: Mlops.IDriftCheckRequest): Promise<Mlops.IDriftCheck> {
    return requestAPI<Mlops.IDriftCheck>('drift/checks', post(request));
  }

  // -- Continuous training ----------------------------------------------------------------

  /** The triggers, each with its last firing. */
  async triggers(): Promise<Mlops.ITrigger[]> {
    return (await requestAPI<Mlops.ITriggerList>('triggers')).triggers;
  }

  /** Enable or disable a trigger. */
  setTriggerEnabled(name: string, enabled: boolean): Promise<Mlops.ITrigger> {
    return requestAPI<Mlops.ITrigger>(
      ['triggers', name, 'enabled'].map(encodeURIComponent).join('/'),
      { method: 'PUT', body: JSON.stringify({ enabled }) }
    );
  }

  /** Remove a trigger (its firings stay in the log). */
  async removeTrigger(name: string): Promise<void> {
    await requestAPI<unknown>(
      ['triggers', name].map(encodeURIComponent).join('/'),
      { method: 'DELETE' }
    );
  }

  /** Evaluate the triggers now; answers when done, with the firings (429 while one runs). */
  runMonitor(): Promise<Mlops.IMonitorRun> {
    return requestAPI<Mlops.IMonitorRun>('monitor/run', post({}));
  }
}
