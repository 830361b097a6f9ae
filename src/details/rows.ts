/**
 * The key/value rows of a run's details sections, as text. Plain module (jest-tested).
 */
import { EMPTY, formatBytes, formatMetric, formatValue } from '../format';
import { Mlops } from '../types';

/** A row of a key/value table. */
export type TextRow = [string, string];

/** Parameters in recorded order, values as text. */
export function paramRows(params: Mlops.IRun['params'] | null): TextRow[] {
  return Object.entries(params ?? {}).map(([k, v]) => [k, formatValue(v)]);
}

/**
 * Every metric of the run (its final values and the logged ones), sorted by key; a metric logged
 * more than once says which of how many values it shows.
 */
export function metricRows(
  run: Pick<Mlops.IRun, 'metrics'>,
  metrics: ReadonlyArray<Mlops.IMetricInfo>
): TextRow[] {
  const lastByKey = new Map(metrics.map(m => [m.key, m]));
  const keys = [
    ...new Set([...Object.keys(run.metrics ?? {}), ...lastByKey.keys()])
  ].sort();
  return keys.map(k => {
    const info = lastByKey.get(k);
    const value = formatMetric(run.metrics?.[k] ?? info?.last);
    return [
      k,
      info && info.count > 1
        ? `${value} (last of ${info.count}, step ${info.last_step ?? EMPTY})`
        : value
    ];
  });
}

/** How the tracked cell relates to its notebook. */
export function notebookRows(
  run: Pick<
    Mlops.IRun,
    'cell_id' | 'execution_count' | 'notebook' | 'history_out_of_order'
  >
): TextRow[] {
  const matches = run.notebook?.saved_matches_source;
  return [
    ['cell id', run.cell_id ?? EMPTY],
    [
      'execution count',
      run.execution_count === null ? EMPTY : String(run.execution_count)
    ],
    [
      'saved notebook has this cell',
      matches === null || matches === undefined
        ? 'unknown'
        : matches
          ? 'yes'
          : 'no (notebook not saved since the cell changed)'
    ],
    ['cells ran out of order', run.history_out_of_order ? 'yes' : 'no']
  ];
}

/** The git state of a run. */
export function gitRows(git: Mlops.IGitInfo): TextRow[] {
  return [
    ['commit', git.commit ?? EMPTY],
    ['branch', git.branch ?? EMPTY],
    ['dirty', git.dirty ? 'yes (uncommitted changes)' : 'no'],
    ['remote', git.remote ?? EMPTY],
    ['root', git.root ?? EMPTY],
    ...(git.diff_truncated ? [['diff', 'truncated'] as TextRow] : [])
  ];
}

/** Python, platform and hardware of a run. */
export function environmentRows(env: Mlops.IEnvironment | null): TextRow[] {
  return [
    [
      'python',
      [env?.python?.implementation, env?.python?.version]
        .filter(Boolean)
        .join(' ') || EMPTY
    ],
    ['executable', env?.python?.executable ?? EMPTY],
    [
      'platform',
      env?.platform?.platform ??
        ([env?.platform?.system, env?.platform?.release, env?.platform?.machine]
          .filter(Boolean)
          .join(' ') ||
          EMPTY)
    ],
    [
      'cpu',
      env?.cpu
        ? `${env.cpu.model ?? 'unknown'} × ${env.cpu.count ?? '?'}`
        : EMPTY
    ],
    ['memory', formatBytes(env?.memory_total_bytes)],
    [
      'gpus',
      env?.gpus && env.gpus.length
        ? env.gpus.map(g => formatValue(g)).join('; ')
        : 'none'
    ]
  ];
}

/** The installed packages and their versions, by name. */
export function packageRows(env: Mlops.IEnvironment | null): TextRow[] {
  return Object.entries(env?.packages ?? {}).sort(([a], [b]) =>
    a.localeCompare(b)
  );
}

/** How an input was learnt, in words. */
const VIA: { readonly [via: string]: string } = {
  open: 'opened',
  declared: '--input',
  fsspec: 'fsspec',
  urllib: 'urllib',
  source: 'in the source',
  log_input: 'log_input'
};

/** An input as the details show it: one text per column. */
export interface IInputRow {
  readonly path: string;
  /** `file`, `folder`, `url` or `frame`. */
  readonly kind: string;
  /** The cell that first read it: `[3]`, or '' when unknown. */
  readonly cell: string;
  /** `2 KiB`, `4096 files · 46 MiB`, `150 rows`. */
  readonly size: string;
  /** `0123456789ab`, `sampled 0123456789ab`, `not hashed · version "9b2c…"`. */
  readonly hash: string;
  /** How it was learnt (`opened`, `--input`, …). */
  readonly via: string;
  /** When the file was last modified before it was read, as a Unix time, or null. */
  readonly mtime: number | null;
}

/** The inputs of a run, as recorded: what, where from, how big, which content. */
export function inputRows(
  inputs: ReadonlyArray<Mlops.IFileRecord> | null
): IInputRow[] {
  return (inputs ?? []).map(input => {
    const kind = input.kind ?? 'file';
    const size =
      kind === 'frame'
        ? `${input.size} rows`
        : kind === 'folder' && typeof input.files === 'number'
          ? `${input.files} files · ${formatBytes(input.size)}`
          : formatBytes(input.size);
    const prefix = (input.sha256 ?? '').slice(0, 12);
    const version = input.version
      ? `version ${input.version.length > 14 ? `${input.version.slice(0, 13)}…` : input.version}`
      : '';
    const hash =
      input.hashing === 'none' || !prefix
        ? ['not hashed', version].filter(Boolean).join(' · ')
        : input.hashing === 'sampled'
          ? `sampled ${prefix}`
          : prefix;
    return {
      path: input.path,
      kind,
      cell: typeof input.cell === 'number' ? `[${input.cell}]` : '',
      size,
      hash,
      via: input.via ? (VIA[input.via] ?? input.via) : '',
      mtime: typeof input.mtime === 'number' ? input.mtime : null
    };
  });
}

/** An artifact as the details show it. */
export interface IArtifactRow {
  readonly path: string;
  /** Its index among the run's artifacts: what the download asks for. */
  readonly index: number;
  /** The file name a download is saved as. */
  readonly fileName: string;
  readonly size: string;
  readonly hash: string;
}

/** The stored artifacts of a run: path, size, the start of their sha256. */
export function artifactRows(
  artifacts: ReadonlyArray<Mlops.IFileRecord> | null
): IArtifactRow[] {
  return (artifacts ?? []).map((artifact, index) => {
    const path =
      typeof artifact?.path === 'string' ? artifact.path : `#${index + 1}`;
    return {
      path,
      index,
      fileName:
        path.replace(/\\/g, '/').replace(/\/+$/, '').split('/').pop() ||
        'artifact',
      size: formatBytes(artifact?.size),
      hash:
        typeof artifact?.sha256 === 'string' ? artifact.sha256.slice(0, 12) : ''
    };
  });
}
