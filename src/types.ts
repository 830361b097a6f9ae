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

  /** A run of a page whose stored record could not be read (left out of `runs`). */
  export interface ISkippedRun {
    readonly id: string;
    /** Why it could not be read, in words. */
    readonly reason: string;
  }

  /** `GET runs` */
  export interface IRunPage {
    readonly runs: IRunSummary[];
    /** Runs of this page that could not be read (absent from older servers). */
    readonly skipped?: ISkippedRun[];
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

  /** One execution of a determinism check. */
  export interface IDeterminismExecution {
    readonly index: number;
    /** The setting this execution changed (strict), or null. */
    readonly varied: string | null;
    readonly env?: { readonly [key: string]: string };
    readonly run_id: string | null;
    readonly status: string;
    readonly failure?: JSONValue | null;
    readonly error: string | null;
  }

  /** A difference between executions of a determinism check. */
  export interface IDeterminismDifference {
    readonly kind: string;
    readonly metric?: string | null;
    readonly step?: number | null;
    readonly param?: string;
    readonly path?: string;
    readonly values?: JSONValue[];
    readonly executions?: number[];
    readonly varied?: string[];
  }

  /** What a determinism check found: the verdict of its job. */
  export interface IDeterminismReport {
    readonly verdict: 'deterministic' | 'nondeterministic' | 'failed';
    readonly run_id: string;
    readonly repeats: number;
    readonly strict: boolean;
    readonly tolerance: number;
    readonly first_difference: IDeterminismDifference | null;
    readonly differences: IDeterminismDifference[];
    readonly varied: string[];
    readonly causes: string[];
    readonly executions: IDeterminismExecution[];
    readonly notes: string[];
  }

  /** A determinism check job: `POST runs/{id}/determinism`. */
  export interface IDeterminismJob extends IJobBase {
    readonly kind: 'determinism';
    readonly progress: ISweepProgress;
    readonly verdict: IDeterminismReport | null;
  }

  /** Body of `POST runs/{id}/determinism`. */
  export interface IDeterminismOptions {
    /** Executions with the run's own settings, 2..10 (default 2). */
    readonly repeats?: number;
    /** One more execution per setting that should not matter. */
    readonly strict?: boolean;
  }

  /** Any job of the server. */
  export type AnyJob = IJob | ISweepJob | IDeterminismJob;

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

  // -- The model lifecycle: registry, gates, approvals (mlops_jupyter/registry/) -----------

  /** `GET models`: one model (`ModelSummary`). */
  export interface IModelSummary {
    readonly name: string;
    readonly description: string;
    readonly tags: { readonly [key: string]: string };
    /** The stored policy (null: the defaults). */
    readonly policy: JSONValue | null;
    readonly created_at: string;
    readonly created_by: string;
    /** How many versions. */
    readonly versions: number;
    readonly latest: number | null;
    readonly updated_at?: string | null;
    /** alias → the version it holds */
    readonly aliases: { readonly [alias: string]: number };
  }

  /** `GET models` */
  export interface IModelList {
    readonly models: IModelSummary[];
  }

  /** An input column of a version's signature. */
  export interface ISignatureInput {
    readonly name: string;
    readonly dtype: string | null;
  }

  /** A model version's flavor, read from its bytes. */
  export type Flavor =
    'sklearn' | 'torch' | 'onnx' | 'joblib' | 'pickle' | 'other';

  /** A version as stored (`Version`). */
  export interface IVersion {
    readonly name: string;
    readonly version: number;
    readonly run_id: string | null;
    readonly manifest_sha256: string;
    readonly flavor: Flavor | string;
    readonly signature: { readonly inputs?: ISignatureInput[] } | null;
    readonly description: string;
    readonly tags: { readonly [key: string]: string };
    /** Bytes of all its files. */
    readonly size: number;
    /** How many files. */
    readonly files: number;
    readonly created_at: string;
    readonly created_by: string;
  }

  /** One metric of a gate: both values, the difference and whether its rule passed. */
  export interface IGateDelta {
    readonly candidate: number | null;
    readonly champion: number | null;
    readonly delta: number | null;
    readonly relative: number | null;
    readonly passed: boolean;
  }

  /** A paired bootstrap interval of a metric's difference. */
  export interface IBootstrapInterval {
    readonly difference: number;
    readonly low: number;
    readonly high: number;
    readonly resamples: number;
    readonly seed: number;
    /** e.g. 0.95 */
    readonly level: number;
  }

  /** A version's latest gate as the model page lists it (`GET models/{name}`). */
  export interface IGateSummary {
    readonly gate_id: number;
    readonly at: string;
    /** The alias compared against. */
    readonly against: string;
    /** The version it held (null: none, bounds only). */
    readonly against_version: number | null;
    readonly passed: boolean;
    /** false: refused to compare (different evaluation data); null: nothing compared. */
    readonly same_eval_data: boolean | null;
    readonly deltas: { readonly [metric: string]: IGateDelta };
    readonly reasons: string[];
    readonly bootstrap: {
      readonly [metric: string]: IBootstrapInterval;
    } | null;
  }

  /** A version as the model page lists it, with its aliases, run metrics and latest gate. */
  export interface IModelVersion extends IVersion {
    readonly aliases: string[];
    /** The producing run's metrics. */
    readonly metrics: { readonly [key: string]: MetricValue };
    /** The producing run cannot be read. */
    readonly run_missing?: boolean;
    /** The version's latest gate (any alias), or null. */
    readonly gate: IGateSummary | null;
  }

  /** `GET models/{name}` (`Model`): versions newest first. */
  export interface IModel {
    readonly name: string;
    readonly description?: string;
    readonly tags?: { readonly [key: string]: string };
    readonly policy?: JSONValue | null;
    readonly created_at?: string;
    readonly created_by?: string;
    readonly aliases: { readonly [alias: string]: number };
    readonly versions: IModelVersion[];
  }

  /** A file of a version's manifest. */
  export interface IManifestFile {
    readonly path: string;
    readonly sha256: string;
    readonly size: number;
    readonly format: string;
    readonly flavor: string;
  }

  /** The run that produced a version, as a version page shows it. */
  export interface IVersionRun {
    readonly id: string;
    readonly name?: string | null;
    readonly experiment?: string;
    readonly status?: string;
    readonly params?: { readonly [key: string]: JSONValue };
    readonly metrics?: { readonly [key: string]: MetricValue };
    /** The run cannot be found any more. */
    readonly missing?: boolean;
  }

  /** `GET models/{name}/versions/{n}` (`VersionDetail`); also the answer of registering. */
  export interface IVersionDetail extends IVersion {
    readonly aliases: string[];
    readonly manifest: IManifestFile[];
    /** Why the manifest could not be read (a missing or altered blob). */
    readonly manifest_error?: string;
    readonly run: IVersionRun | null;
  }

  /** Body of `POST models/{name}/versions`. */
  export interface IRegisterRequest {
    readonly run_id: string;
    /** Paths of the run's artifacts (default: all of them). */
    readonly artifacts?: string[];
    readonly description?: string;
  }

  /** One event of the hash-chained lifecycle log (`Event`). */
  export interface IEvent {
    readonly seq: number;
    readonly at: string;
    readonly actor: string;
    /** alias_moved, alias_rollback, alias_removed, promotion, version_registered, gate, ... */
    readonly kind: string;
    readonly model: string | null;
    readonly alias: string | null;
    readonly from_version: number | null;
    readonly to_version: number | null;
    readonly reason: string | null;
    readonly details: JSONValue;
    readonly hash: string;
  }

  /** `GET models/{name}/history` */
  export interface IEventList {
    readonly events: IEvent[];
  }

  /** The answer of moving, removing or rolling back an alias. */
  export interface IEventEnvelope {
    readonly event: IEvent;
  }

  /** Body of `PUT models/{name}/aliases/{alias}`. */
  export interface IAliasMove {
    readonly version: number;
    readonly reason: string;
    /** The holder the client saw (null: unset); a 409 if it moved meanwhile. */
    readonly expect?: number | null;
  }

  /** A node of a lineage graph. */
  export type LineageKind =
    | 'alias'
    | 'version'
    | 'run'
    | 'data'
    | 'file'
    | 'url'
    | 'snapshot'
    | 'commit'
    | 'sweep'
    | 'drift';

  export interface ILineageNode {
    readonly kind: LineageKind | string;
    readonly id: string;
    /** A short human description. */
    readonly label: string;
    /** What the store knows about it (a run's params, a data node's paths and size, ...). */
    readonly detail: { readonly [key: string]: JSONValue };
  }

  export interface ILineageEdge {
    readonly src_kind: string;
    readonly src: string;
    readonly dst_kind: string;
    readonly dst: string;
    /** input, registered, file, alias, snapshot, commit, reproduction, ... */
    readonly relation: string;
  }

  /** `GET lineage?ref=` */
  export interface ILineage {
    readonly ref: string;
    readonly direction: 'back' | 'forward';
    readonly roots: { readonly kind: string; readonly id: string }[];
    readonly nodes: ILineageNode[];
    readonly edges: ILineageEdge[];
    readonly truncated: boolean;
  }

  /** One metric's requirement of a gate (`GateRule`). */
  export interface IGateRule {
    readonly metric: string;
    readonly greater_is_better?: boolean;
    readonly min?: number | null;
    readonly max?: number | null;
    readonly min_absolute_change?: number | null;
    readonly min_relative_change?: number | null;
    readonly statistic?: string | null;
  }

  /** Where a version's metrics for a gate came from (`Evaluation`). */
  export interface IEvaluation {
    readonly run_id: string;
    readonly source: 'evaluation' | 'producing run' | 're-evaluation' | string;
    readonly metrics: { readonly [key: string]: MetricValue };
    /** The evaluation data's digest (several inputs: of their sorted digests). */
    readonly data_digest: string | null;
    readonly data: { readonly path?: string; readonly sha256?: string }[];
    readonly predictions_sha256?: string | null;
  }

  /** A gate's result (`GateResult`): `POST .../gate`, `GET models/{name}/gates`. */
  export interface IGateResult {
    readonly gate_id?: number;
    readonly at?: string;
    readonly actor?: string;
    readonly name: string;
    readonly version: number;
    readonly against: string;
    readonly against_version: number | null;
    readonly rules: IGateRule[];
    readonly candidate: IEvaluation | null;
    readonly champion: IEvaluation | null;
    readonly same_eval_data: boolean | null;
    readonly deltas: { readonly [metric: string]: IGateDelta };
    readonly bootstrap: {
      readonly [metric: string]: IBootstrapInterval;
    } | null;
    readonly passed: boolean;
    readonly reasons: string[];
    readonly fingerprint?: string;
  }

  /** `GET models/{name}/gates` */
  export interface IGateList {
    readonly gates: IGateResult[];
  }

  /** Body of `POST models/{name}/versions/{n}/gate`. */
  export interface IGateRequest {
    readonly against?: string;
    /** Rules as text (`auc:higher,min=0.8,abs=0.01`) or objects (default: the policy's). */
    readonly rules?: (string | IGateRule)[];
    readonly bootstrap?: number;
  }

  /** The state of an approval request. */
  export type RequestStatus =
    'pending' | 'approved' | 'rejected' | 'expired' | 'void' | 'used';

  /** An approval or a rejection of a request. */
  export interface IVote {
    readonly actor: string;
    readonly comment: string | null;
    readonly at: string;
    /** `authenticated` (through the server) or `local` (a kernel's or CLI's login). */
    readonly identity: string;
  }

  /** An approval request with its state (`ApprovalRequest`). */
  export interface IApprovalRequest {
    readonly id: string;
    readonly name: string;
    readonly version: number;
    readonly alias: string;
    readonly requester: string;
    readonly comment?: string | null;
    readonly created_at?: string;
    readonly expires_at?: string;
    readonly manifest_sha256?: string;
    readonly gate_id?: number | null;
    readonly gate_fingerprint?: string | null;
    readonly status: RequestStatus;
    /** Approvals the policy needs. */
    readonly required: number;
    /** Approvals that count. */
    readonly counted: number;
    readonly approvals: IVote[];
    readonly rejections: IVote[];
    /** The promotion event that used it. */
    readonly promoted_by?: number | null;
    /** Whether the current user may approve it now (`GET approvals` only). */
    readonly may_approve?: boolean;
  }

  /** `GET approvals` */
  export interface IApprovalList {
    readonly requests: IApprovalRequest[];
    /** The authenticated user (who acts). */
    readonly user: string;
  }

  /** Query of `GET approvals`. */
  export interface IApprovalQuery {
    readonly name?: string;
    readonly status?: RequestStatus;
    /** Only pending requests the user may approve. */
    readonly forMe?: boolean;
  }

  /** Body of `POST models/{name}/approvals`. */
  export interface IApprovalRequestBody {
    readonly version: number;
    readonly alias: string;
    readonly comment?: string;
  }

  /** Body of `POST models/{name}/promote`. */
  export interface IPromoteRequest {
    readonly version: number;
    readonly alias: string;
    readonly reason: string;
  }

  /** `POST models/{name}/promote` answered 200. */
  export interface IPromoteReply {
    readonly promoted: true;
    readonly event: IEvent;
  }

  /** What promoting to one alias takes (`AliasPolicy`). */
  export interface IAliasPolicy {
    readonly gate?: boolean;
    readonly approvals?: number;
    /** Who may approve (empty: anyone but the requester). */
    readonly approvers?: string[];
    readonly self_approval?: boolean;
    /** Moves only by promotion (and rollback). */
    readonly protected?: boolean;
    /** Default gate rules. */
    readonly rules?: IGateRule[];
    readonly authenticated_only?: boolean;
  }

  /** `GET models/{name}/policy` (`Policy`): the effective policy, defaults included. */
  export interface IPolicy {
    readonly name: string;
    /** Whether a policy was set (false: the defaults). */
    readonly explicit: boolean;
    readonly expiry_days: number;
    readonly aliases: { readonly [alias: string]: IAliasPolicy };
  }

  // -- Data drift (mlops_jupyter/drift/) -------------------------------------------------

  export type DriftVerdict = 'ok' | 'drift' | 'insufficient_data';

  /** A column's status: `not_compared` for columns no method applies to. */
  export type ColumnStatus = 'ok' | 'drift' | 'insufficient' | 'not_compared';

  /** A numeric column's decile bins: `edges` are the inner edges (k edges, k + 1 bins). */
  export interface INumericDistribution {
    readonly edges: number[];
    readonly reference: number[];
    readonly batch: number[];
  }

  /** A categorical column's named categories, then its OTHER and NEW buckets. */
  export interface ICategoricalDistribution {
    readonly categories: string[];
    readonly reference: number[];
    readonly batch: number[];
    readonly other?: { readonly reference: number; readonly batch: number };
    readonly new?: { readonly reference: number; readonly batch: number };
  }

  /** One column of a full drift report. */
  export interface IDriftColumn {
    /** `wasserstein`, `jensen_shannon` or `none`. */
    readonly method: string;
    readonly score: number | null;
    readonly threshold: number | null;
    readonly drifted: boolean;
    readonly status: ColumnStatus | string;
    readonly kind?: string;
    readonly critical?: boolean;
    readonly thresholds?: {
      readonly fixed: number | null;
      readonly calibrated: number | null;
      readonly noise: number | null;
    };
    readonly n?: { readonly reference: number; readonly batch: number };
    readonly missing?: {
      readonly reference: number;
      readonly batch: number;
      readonly change: number;
    };
    /** Why the column is not `ok` (or not compared), in words. */
    readonly reason?: string;
    readonly psi?: number | null;
    /** `stable`, `moderate` or `significant`. */
    readonly psi_band?: string;
    readonly new_share?: number | null;
    /** Categories the reference never saw, above 1 %, by share. */
    readonly new_categories?: { readonly [category: string]: number };
    readonly distribution?: INumericDistribution | ICategoricalDistribution;
    readonly exact?: boolean;
  }

  /** A column added, removed or retyped between the reference and the batch. */
  export interface ISchemaChange {
    readonly column: string;
    readonly change: 'added' | 'removed' | 'retyped' | string;
    readonly reference: string | null;
    readonly batch: string | null;
  }

  /** The full report of a check (`report` of `GET drift/checks/{id}`). */
  export interface IDriftReport {
    readonly format?: string;
    readonly verdict: DriftVerdict;
    readonly drift_share: number;
    readonly columns: { readonly [name: string]: IDriftColumn };
    readonly schema_changes: ISchemaChange[];
    readonly new_categories: {
      readonly [column: string]: { readonly [category: string]: number };
    };
    readonly drifted_columns: string[];
    /** Why the verdict, in words. */
    readonly reasons: string[];
    readonly n_reference: number;
    readonly n_batch: number;
    readonly reference_name?: string | null;
    readonly critical?: string[];
  }

  /** A recorded drift check (`DriftCheck`). */
  export interface IDriftCheck {
    readonly check_id: number;
    readonly at: string;
    readonly actor: string;
    readonly model?: string | null;
    readonly version?: number | null;
    readonly verdict: DriftVerdict;
    readonly drift_share?: number;
    readonly drifted_columns?: string[];
    readonly reference: {
      readonly ref?: string;
      readonly source?: 'file' | 'run' | 'model' | string;
      readonly name?: string | null;
      readonly digest?: string;
      readonly rows?: number;
      readonly run_id?: string | null;
      /** `NAME/N` */
      readonly version?: string | null;
    };
    readonly batch: {
      readonly name?: string | null;
      readonly digest?: string;
      readonly rows?: number;
    };
    readonly columns: {
      readonly [name: string]: {
        readonly method: string;
        readonly score: number | null;
        readonly threshold: number | null;
        readonly status: string;
      };
    };
    readonly schema_changes?: ISchemaChange[];
    readonly new_categories?: {
      readonly [column: string]: { readonly [category: string]: number };
    };
    readonly report_sha256?: string;
    /** The full report (`GET drift/checks/{id}` only). */
    readonly report?: IDriftReport | null;
  }

  /** `GET drift/checks` */
  export interface IDriftCheckList {
    readonly checks: IDriftCheck[];
  }

  /** Body of `POST drift/checks`. */
  export interface IDriftCheckRequest {
    /** A .csv or .parquet file, relative to the server's root. */
    readonly file: string;
    /** A run id, `NAME@ALIAS` or `NAME/VERSION` (optionally `#FRAME`). */
    readonly against: string;
    readonly critical?: string[];
  }

  // -- Continuous training: triggers and their firings (mlops_jupyter/triggers/) ----------

  /** What a firing came to (`running` until its outcome is recorded). */
  export type FiringOutcome =
    | 'running'
    | 'retrained'
    | 'gate_failed'
    | 'awaiting_approval'
    | 'promoted'
    | 'error';

  /** One firing of a trigger and its outcome (`TriggerFiring`). */
  export interface ITriggerFiring {
    readonly trigger: string;
    /** Why it fired, in words. */
    readonly cause: string | null;
    /** The `trigger_fired` event's number. */
    readonly firing: number;
    /** ISO 8601: when it fired (absent from `monitor/run` answers). */
    readonly at?: string;
    readonly finished_at?: string;
    readonly outcome: FiringOutcome | string;
    readonly run_ids?: string[];
    /** `name/3` */
    readonly version?: string | null;
    readonly gate_id?: number | null;
    readonly gate_passed?: boolean | null;
    readonly request_id?: string | null;
    readonly error?: {
      readonly message?: string;
      readonly cell?: number;
      readonly traceback?: string;
    } | null;
    readonly key?: string | null;
  }

  /** A trigger as defined (`Trigger`), with its last firing in `GET triggers`. */
  export interface ITrigger {
    readonly name: string;
    readonly when: string;
    /** `metric`, `drift`, `data` or `schedule` */
    readonly kind: string;
    readonly experiment: string | null;
    /** `NAME@ALIAS` whose evaluations or drift checks it reads */
    readonly model: string | null;
    readonly window: number;
    readonly retrain: string;
    readonly params?: { readonly [key: string]: JSONValue };
    readonly register: string | null;
    readonly against: string;
    readonly rules?: string[];
    readonly cooldown: number;
    readonly executor?: string;
    readonly promote: boolean;
    readonly enabled: boolean;
    readonly webhook?: string | null;
    readonly last_firing?: ITriggerFiring | null;
  }

  /** `GET triggers` */
  export interface ITriggerList {
    readonly triggers: ITrigger[];
  }

  /** `POST monitor/run` */
  export interface IMonitorRun {
    readonly firings: ITriggerFiring[];
  }
}
