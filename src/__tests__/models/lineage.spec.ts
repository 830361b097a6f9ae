import { lineageLayers, nodeFacts } from '../../models/lineage';
import { Mlops } from '../../types';

const RUN = '26ef8cc625174ea4822d07ad44e9477a';
const MODEL_FILE = 'cd'.repeat(32);
const TRAIN = '1b'.repeat(32);

const graph: Mlops.ILineage = {
  ref: 'churn/1',
  direction: 'back',
  roots: [{ kind: 'version', id: 'churn/1' }],
  nodes: [
    {
      kind: 'version',
      id: 'churn/1',
      label: 'churn version 1 (sklearn, 1 file(s))',
      detail: { flavor: 'sklearn', files: 1, created_by: 'alice' }
    },
    {
      kind: 'data',
      id: MODEL_FILE,
      label: 'model file churn/1:model.pkl sha256 cdcdcdcdcdcd',
      detail: { sha256: MODEL_FILE, model_file: 'churn/1:model.pkl' }
    },
    {
      kind: 'run',
      id: RUN,
      label: "run 26ef8cc62517 'train1'",
      detail: {
        status: 'finished',
        experiment: 'train.ipynb',
        params: { C: 1 },
        metrics: { auc: 0.8 }
      }
    },
    {
      kind: 'data',
      id: TRAIN,
      label: 'data/train.csv sha256 1b1b1b1b1b1b',
      detail: { sha256: TRAIN, paths: ['data/train.csv'], size: 2048 }
    },
    {
      kind: 'commit',
      id: '4f1c2e9a7b3d',
      label: 'git commit 4f1c2e9a7b3d',
      detail: {}
    }
  ],
  edges: [
    {
      src_kind: 'data',
      src: MODEL_FILE,
      dst_kind: 'version',
      dst: 'churn/1',
      relation: 'file'
    },
    {
      src_kind: 'run',
      src: RUN,
      dst_kind: 'version',
      dst: 'churn/1',
      relation: 'registered'
    },
    {
      src_kind: 'data',
      src: TRAIN,
      dst_kind: 'run',
      dst: RUN,
      relation: 'input'
    },
    {
      src_kind: 'commit',
      src: '4f1c2e9a7b3d',
      dst_kind: 'run',
      dst: RUN,
      relation: 'code'
    }
  ],
  truncated: false
};

describe('lineage layers', () => {
  it('reads data → code → run → version → alias', () => {
    const layers = lineageLayers(graph, { 'churn/1': ['champion'] });
    expect(layers.map(l => l.title)).toEqual([
      'Data',
      'Code',
      'Runs',
      'Model versions',
      'Aliases'
    ]);
    const [data, code, runs, versions, aliases] = layers;
    expect(data.items).toEqual([
      expect.objectContaining({
        label: 'data/train.csv sha256 1b1b1b1b1b1b',
        facts: ['sha256 1b1b1b1b1b1b…', '2 KiB'],
        links: ["read by run 26ef8cc62517 'train1'"],
        runId: null
      })
    ]);
    expect(code.items[0].links).toEqual(["code of run 26ef8cc62517 'train1'"]);
    expect(runs.items[0]).toEqual(
      expect.objectContaining({
        runId: RUN,
        facts: ['finished · train.ipynb', 'params C=1', 'metrics auc=0.8'],
        links: ['registered as churn version 1 (sklearn, 1 file(s))']
      })
    );
    // The version's own file is listed under it, not as data.
    expect(versions.items[0]).toEqual(
      expect.objectContaining({
        root: true,
        facts: [
          'sklearn, 1 file(s)',
          'registered by alice',
          'file model.pkl sha256 cdcdcdcdcdcd…'
        ],
        links: ['held by churn@champion']
      })
    );
    expect(aliases.items.map(i => i.id)).toEqual(['churn@champion']);
  });

  it('does not add an alias the walk already has', () => {
    const withAlias: Mlops.ILineage = {
      ...graph,
      nodes: [
        ...graph.nodes,
        {
          kind: 'alias',
          id: 'churn@champion',
          label: 'churn@champion',
          detail: {}
        }
      ],
      edges: [
        ...graph.edges,
        {
          src_kind: 'version',
          src: 'churn/1',
          dst_kind: 'alias',
          dst: 'churn@champion',
          relation: 'alias'
        }
      ]
    };
    const layers = lineageLayers(withAlias, { 'churn/1': ['champion'] });
    expect(layers.find(l => l.key === 'alias')!.items).toHaveLength(1);
    expect(layers.find(l => l.key === 'version')!.items[0].links).toEqual([
      'held by churn@champion'
    ]);
  });

  it('leaves out empty layers and unknown kinds go with the data', () => {
    const layers = lineageLayers({
      ...graph,
      nodes: [{ kind: 'url', id: 's3://x', label: 's3://x', detail: {} }],
      edges: []
    });
    expect(layers.map(l => l.key)).toEqual(['data']);
    expect(nodeFacts({ kind: 'url', id: 'u', label: 'u', detail: {} })).toEqual(
      []
    );
  });
});
