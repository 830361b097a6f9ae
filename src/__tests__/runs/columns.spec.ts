import {
  collectKeys,
  columnTitle,
  columnValue,
  mergeKeys,
  parseColumns,
  resolveColumns,
  toggleColumn
} from '../../runs/columns';
import { Mlops } from '../../types';

function run(
  params: Mlops.IRunSummary['params'],
  metrics: Mlops.IRunSummary['metrics']
): Mlops.IRunSummary {
  return {
    id: 'r',
    name: null,
    experiment: 'e',
    status: 'finished',
    started_at: '2026-01-01T00:00:00Z',
    ended_at: null,
    duration: null,
    params,
    metrics,
    tags: {},
    reproduction_of: null,
    sweep_id: null,
    git: null,
    notebook_path: null,
    error_type: null
  };
}

const runs = [
  run({ lr: 0.1, opt: 'adam' }, { loss: 0.5, acc: 0.9 }),
  run({ lr: 0.01, epochs: 3 }, { loss: 'NaN', f1: 0.7 })
];

describe('columns', () => {
  it('collects and merges sorted keys', () => {
    const keys = collectKeys(runs);
    expect(keys).toEqual({
      params: ['epochs', 'lr', 'opt'],
      metrics: ['acc', 'f1', 'loss']
    });
    expect(
      mergeKeys(keys, { params: ['a'], metrics: ['loss', 'zeta'] })
    ).toEqual({
      params: ['a', 'epochs', 'lr', 'opt'],
      metrics: ['acc', 'f1', 'loss', 'zeta']
    });
  });

  it('shows the first two metrics until the user chooses', () => {
    const keys = collectKeys(runs);
    expect(resolveColumns(null, keys)).toEqual(['metrics.acc', 'metrics.f1']);
    expect(resolveColumns([], keys)).toEqual([]);
    expect(resolveColumns(['params.lr'], keys)).toEqual(['params.lr']);
  });

  it('toggles a column, turning automatic into explicit', () => {
    const keys = collectKeys(runs);
    expect(toggleColumn(null, keys, 'params.lr')).toEqual([
      'metrics.acc',
      'metrics.f1',
      'params.lr'
    ]);
    expect(toggleColumn(null, keys, 'metrics.acc')).toEqual(['metrics.f1']);
    expect(toggleColumn(['params.lr'], keys, 'params.lr')).toEqual([]);
  });

  it('validates the stored setting', () => {
    expect(parseColumns(null)).toBeNull();
    expect(parseColumns('x')).toBeNull();
    expect(
      parseColumns(['params.lr', 'bogus', 3, 'metrics.loss', 'params.lr'])
    ).toEqual(['params.lr', 'metrics.loss']);
  });

  it('renders titles and values as text', () => {
    expect(columnTitle('params.lr')).toBe('lr (param)');
    expect(columnTitle('metrics.a.b')).toBe('a.b');
    expect(columnValue(runs[0], 'params.opt')).toBe('adam');
    expect(columnValue(runs[1], 'metrics.loss')).toBe('NaN');
    expect(columnValue(runs[1], 'metrics.acc')).toBe('—');
  });
});
