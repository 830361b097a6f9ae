/**
 * Wire types of the mlops-jupyter REST API; they mirror `api/openapi.yaml`.
 */
export namespace Mlops {
  /** `GET /mlops-jupyter/api/status` */
  export interface IStatus {
    readonly version: string;
    readonly store: {
      /** Human-readable store location (a path, or a URL with the password masked). */
      readonly location: string;
      /** The database kind: `sqlite` or `postgresql`. */
      readonly kind: string;
    };
  }

  /** The outcome of a run. */
  export type RunStatus =
    'running' | 'finished' | 'failed' | 'interrupted' | 'crashed';

  /** Any JSON value (parameters are recorded as JSON). */
  export type JSONValue =
    | null
    | boolean
    | number
    | string
    | JSONValue[]
    | { [key: string]: JSONValue };

  /** A metric value on the wire: non-finite numbers travel as strings. */
  export type MetricValue = number | 'NaN' | 'Infinity' | '-Infinity';

  /** Git state in a run summary. */
  export interface IGitSummary {
    readonly commit: string | null;
    readonly branch: string | null;
    readonly dirty: boolean;
  }

  /** One run as listed: `GET runs`. */
  export interface IRunSummary {
    readonly id: string;
    readonly name: string | null;
    readonly experiment: string;
    readonly status: RunStatus;
    /** ISO 8601 */
    readonly started_at: string;
    /** ISO 8601, null while running */
    readonly ended_at: string | null;
    /** seconds */
    readonly duration: number | null;
    readonly params: { readonly [key: string]: JSONValue };
    readonly metrics: { readonly [key: string]: MetricValue };
    readonly tags: { readonly [key: string]: string };
    readonly reproduction_of: string | null;
    readonly sweep_id: string | null;
    readonly git: IGitSummary | null;
    readonly notebook_path: string | null;
    readonly error_type: string | null;
  }

  /** Sort keys accepted by `GET runs`. */
  export type SortKey =
    | 'started_at'
    | 'ended_at'
    | 'duration'
    | 'name'
    | 'status'
    | 'experiment'
    | `params.${string}`
    | `metrics.${string}`;

  export type SortOrder = 'asc' | 'desc';

  /** Query of `GET runs`. */
  export interface IRunQuery {
    readonly filter?: string;
    readonly sort?: SortKey;
    readonly order?: SortOrder;
    /** 1..1000 */
    readonly limit?: number;
    readonly offset?: number;
    readonly experiment?: string;
  }

  /** `GET runs` */
  export interface IRunPage {
    readonly runs: IRunSummary[];
    readonly total: number;
    readonly offset: number;
    readonly limit: number;
    /** Changes whenever any run is created or updated. */
    readonly version: string;
  }

  export interface INotebookInfo {
    readonly path: string;
    readonly snapshot_sha256: string | null;
    readonly saved_matches_source: boolean | null;
  }

  export interface IEnvironment {
    readonly python?: {
      readonly version?: string;
      readonly implementation?: string;
      readonly executable?: string;
    };
    readonly packages?: { readonly [name: string]: string };
    readonly platform?: {
      readonly system?: string;
      readonly release?: string;
      readonly machine?: string;
      readonly platform?: string;
    };
    readonly cpu?: { readonly model?: string | null; readonly count?: number };
    readonly memory_total_bytes?: number | null;
    readonly gpus?: JSONValue[];
  }

  export interface IGitInfo extends IGitSummary {
    readonly root: string | null;
    readonly remote: string | null;
    readonly diff_sha256: string | null;
    readonly diff_truncated: boolean;
  }

  /** What an input or an artifact is. */
  export type FileKind = 'file' | 'folder' | 'url' | 'frame';

  /** How an input was learnt. */
  export type FileVia =
    'open' | 'declared' | 'fsspec' | 'urllib' | 'source' | 'log_input';

  /** A file a run read (input) or wrote (artifact); mirrors `FileRecord` of models.py. */
  export interface IFileRecord {
    /** Relative to the notebook's folder when inside it, else absolute; a URL; a frame's name. */
    readonly path: string;
    /** Hex sha256 of the content ('' when not hashed: a remote object). */
    readonly sha256: string;
    /** Bytes (a folder: of all its files; a frame: its rows). */
    readonly size: number;
    /** Absent: 'file'. */
    readonly kind?: FileKind;
    /** Absent: 'full'; 'sampled' for a file over the size limit, 'none' when not hashed. */
    readonly hashing?: 'full' | 'sampled' | 'none';
    readonly via?: FileVia | string;
    /** Execution count of the cell that first read it. */
    readonly cell?: number;
    /** Modification time when it was read (Unix seconds). */
    readonly mtime?: number;
    /** A remote object's ETag or version id. */
    readonly version?: string;
    /** How many files a folder holds. */
    readonly files?: number;
    readonly manifest_sha256?: string;
    readonly profile_sha256?: string;
  }

  /** Earlier name of `IFileRecord`. */
  export type IInputFile = IFileRecord;

  export interface IRunError {
    readonly type: string;
    readonly message: string;
    readonly traceback: string;
  }

  /** `GET runs/{id}`: everything recorded about a run. */
  export interface IRun extends Omit<IRunSummary, 'git'> {
    readonly source: string;
    readonly cell_id: string | null;
    readonly execution_count: number | null;
    readonly notebook: INotebookInfo | null;
    readonly history_out_of_order: boolean;
    readonly env: IEnvironment | null;
    readonly git: IGitInfo | null;
    readonly inputs: IFileRecord[];
    readonly artifacts: IFileRecord[];
    readonly error: IRunError | null;
    readonly stdout_tail: string | null;
    readonly stderr_tail: string | null;
    readonly seed: number | null;
    readonly extra: JSONValue;
  }

  /** One entry of `GET runs/{id}/metrics`. */
  export interface IMetricInfo {
    readonly key: string;
    readonly count: number;
    readonly last: MetricValue;
    readonly last_step: number | null;
  }

  /** `GET runs/{id}/metrics` */
  export interface IMetricList {
    readonly metrics: IMetricInfo[];
  }

  /** `GET runs/{id}/metrics/{key}` */
  export interface IMetricSeries {
    readonly key: string;
    readonly total: number;
    readonly downsampled: boolean;
    /** [step, value] */
    readonly points: [number, MetricValue][];
  }

  /** Blobs of a run: `GET runs/{id}/blobs/{kind}`. */
  export type BlobKind = 'source' | 'notebook' | 'diff' | 'env' | 'history';

  /** A row of the compare table: one value per run, in the order of `runs`. */
  export interface ICompareRow {
    readonly key: string;
    readonly values: JSONValue[];
    readonly differs: boolean;
  }

  /** One value per run and whether they differ. */
  export interface ICompareValues {
    readonly values: JSONValue[];
    readonly differs: boolean;
  }

  /** An input of the compared runs: what each read at that path. */
  export interface ICompareInput {
    readonly path: string;
    /** Per run: sha256 (or a remote object's version, '' if unknown), null if not read. */
    readonly values: (string | null)[];
    /** same: equal everywhere; changed: read by all, not all equal; only: not read by some. */
    readonly status: 'same' | 'changed' | 'only';
  }

  /** `GET compare?ids=...` */
  export interface ICompareResult {
    readonly runs: IRunSummary[];
    readonly params: ICompareRow[];
    readonly metrics: ICompareRow[];
    /** Absent from servers older than the inputs section. */
    readonly inputs?: ICompareInput[];
    /** The tracked cell's source of each run. */
    readonly sources: string[];
    readonly notebooks: JSONValue[];
    readonly env: {
      readonly python: ICompareValues;
      readonly platform: ICompareValues;
      readonly git: ICompareValues;
      readonly packages: {
        readonly added: { readonly [name: string]: string };
        readonly removed: { readonly [name: string]: string };
        readonly changed: { readonly [name: string]: [string, string] };
      };
      readonly packages_by_run: JSONValue[];
    };
  }

  export interface IExperiment {
    readonly name: string;
    readonly runs: number;
    readonly last_started_at: string | null;
  }

  /** `GET experiments` */
  export interface IExperimentList {
    readonly experiments: IExperiment[];
  }

  /** What a reproduction is pinned to: `extra.pin` of a run, `pin` of a verdict. */
  export interface IPin {
    readonly kind: 'git' | 'snapshot' | 'history';
    /** git: the commit the notebook is checked out from. */
    readonly commit?: string;
    readonly [key: string]: JSONValue | undefined;
  }

  /** Body of `POST runs/{id}/reproduce`. */
  export interface IReproduceOptions {
    /** Relative tolerance when comparing metrics (the server's default if absent). */
    readonly tolerance?: number;
    /** Reproduce twice to tell a nondeterministic run from a diverging one. */
    readonly twice?: boolean;
  }

  export type JobState =
    'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

  export type VerdictStatus = 'reproduced' | 'diverged' | 'failed';

  /** One metric of a verdict: the original and the reproduced value. */
  export interface IVerdictMetric {
    readonly original: MetricValue | null;
    readonly reproduced: MetricValue | null;
    readonly equal: boolean;
  }

  /** The cell that raised while reproducing. */
  export interface IReproductionFailure {
    /**
     * The cell as a person counts the notebook's cells, from 1; 0 is papermill's injected
     * parameters cell. Absent from older servers.
     */
    readonly cell?: number;
    /** The same cell's index in the notebook as pinned, from 0. */
    readonly cell_index: number;
    readonly ename: string;
    readonly evalue: string;
  }

  /** The outcome of a reproduction. */
  export interface IVerdict {
    readonly status: VerdictStatus;
    /** Likely causes of a divergence or failure, most likely first. */
    readonly causes: string[];
    readonly metrics: { readonly [key: string]: IVerdictMetric };
    readonly reproduction_run_id: string | null;
    readonly original_run_id: string;
    readonly pin: IPin | null;
    readonly notes: string[];
    readonly failure: IReproductionFailure | null;
    /** Whether two reproductions disagreed (null unless reproduced twice). */
    readonly nondeterministic: boolean | null;
  }

  /** What every background job of the server has: `GET jobs/{id}`. */
  export interface IJobBase {
    readonly id: string;
    /** The run the job is about (reproduced, or the base of a sweep). */
    readonly run_id: string;
    readonly state: JobState;
    readonly log_tail: string;
    readonly error: string | null;
    /** ISO 8601 */
    readonly created_at: string;
    readonly started_at: string | null;
    readonly ended_at: string | null;
  }

  /** A reproduction job: `POST runs/{id}/reproduce`. */
  export interface IJob extends IJobBase {
    readonly kind: 'reproduce';
    readonly progress: { readonly cell: number; readonly total: number };
    readonly verdict: IVerdict | null;
  }

  /** Executions of a sweep job by state. */
  export interface ISweepProgress {
    /** Ended executions, the failed ones included. */
    readonly done: number;
    readonly running: number;
    readonly failed: number;
    readonly total: number;
  }

  /** A sweep job: `POST sweeps`. */
  export interface ISweepJob extends IJobBase {
    readonly kind: 'sweep';
    readonly sweep_id: string;
    readonly progress: ISweepProgress;
  }

  /** Any job of the server. */
  export type AnyJob = IJob | ISweepJob;

  /** `POST runs/{id}/reproduce`, `GET jobs/{id}`, `DELETE jobs/{id}` */
  export interface IJobReply<J extends AnyJob = IJob> {
    readonly job: J;
  }

  /** A grid of parameter values: the sweep runs every combination. */
  export interface ISweepGrid {
    readonly [param: string]: JSONValue[];
  }

  /** Body of `POST sweeps`. */
  export interface ISweepRequest {
    /** The run whose code is re-executed with the grid's parameters. */
    readonly run_id: string;
    readonly grid: ISweepGrid;
    /** Executions at a time, 1..8 (the server's default if absent). */
    readonly workers?: number;
  }

  /** `pending` is what the server says for `queued` (both are accepted). */
  export type ExecutionStatus =
    'queued' | 'pending' | 'running' | 'finished' | 'failed' | 'interrupted';

  /** One combination of a sweep. */
  export interface ISweepExecution {
    readonly index: number;
    readonly params: { readonly [key: string]: JSONValue };
    readonly status: ExecutionStatus;
    /** The runs the execution recorded. */
    readonly run_ids: string[];
    readonly error: string | null;
  }

  /** `GET sweeps/{id}` */
  export interface ISweep {
    readonly id: string;
    readonly notebook: string | null;
    /** null for sweeps from a list of combinations or `mlops-jupyter rerun`. */
    readonly grid: ISweepGrid | null;
    /** ISO 8601 */
    readonly created_at: string;
    readonly executions: ISweepExecution[];
  }

  export interface ISweepReply {
    readonly sweep: ISweep;
  }

  /** `GET jobs?run_id=` */
  export interface IJobList {
    readonly jobs: AnyJob[];
  }
}
