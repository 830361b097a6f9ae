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

/** Declared input files: size and the start of their sha256. */
export function inputRows(
  inputs: ReadonlyArray<Mlops.IInputFile> | null
): TextRow[] {
  return (inputs ?? []).map(input => [
    input.path,
    `${formatBytes(input.size)} · sha256 ${input.sha256.slice(0, 12)}`
  ]);
}

/** Stored artifacts: path (or `#n`), size and the start of their sha256 when recorded. */
export function artifactRows(
  artifacts: ReadonlyArray<Mlops.JSONValue> | null
): TextRow[] {
  return (artifacts ?? []).map((artifact, i) => {
    const a = (artifact ?? {}) as { [k: string]: Mlops.JSONValue };
    const path = typeof a.path === 'string' ? a.path : `#${i + 1}`;
    return [
      path,
      typeof a.size === 'number'
        ? `${formatBytes(a.size)}${typeof a.sha256 === 'string' ? ` · sha256 ${a.sha256.slice(0, 12)}` : ''}`
        : formatValue(artifact)
    ];
  });
}
