import {
  deltaText,
  evaluationData,
  gateBadge,
  intervalText,
  sideBySide
} from '../../models/gate';
import { Mlops } from '../../types';

const evaluation = (digest: string, path: string): Mlops.IEvaluation => ({
  run_id: 'r',
  source: 'evaluation',
  metrics: {},
  data_digest: digest,
  data: [{ path, sha256: digest }]
});

function gate(patch: Partial<Mlops.IGateResult> = {}): Mlops.IGateResult {
  return {
    name: 'churn',
    version: 2,
    against: 'champion',
    against_version: 1,
    rules: [{ metric: 'auc', min: 0.7 }],
    candidate: evaluation('fa75b5c25fc0' + '0'.repeat(52), 'data/march.csv'),
    champion: evaluation('fa75b5c25fc0' + '0'.repeat(52), 'data/march.csv'),
    same_eval_data: true,
    deltas: {
      auc: {
        candidate: 0.86,
        champion: 0.8,
        delta: 0.06,
        relative: 0.075,
        passed: true
      }
    },
    bootstrap: {},
    passed: true,
    reasons: [],
    ...patch
  };
}

function version(
  n: number,
  metrics: Record<string, number>
): Mlops.IModelVersion {
  return {
    name: 'churn',
    version: n,
    run_id: null,
    manifest_sha256: '',
    flavor: 'sklearn',
    signature: null,
    description: '',
    tags: {},
    size: 1,
    files: 1,
    created_at: '',
    created_by: 'alice',
    aliases: [],
    metrics,
    gate: null
  };
}

describe('gate badge', () => {
  it('shows a passed gate with its deltas', () => {
    const badge = gateBadge(gate());
    expect(badge.kind).toBe('passed');
    expect(badge.label).toBe('gate passed');
    expect(badge.against).toBe('vs @champion v1');
    expect(badge.deltas).toEqual([
      { metric: 'auc', text: '0.86 vs 0.8: +0.06 (+7.5 %)', passed: true }
    ]);
    expect(badge.title).toBe(
      'gate passed vs @champion v1\nauc 0.86 vs 0.8: +0.06 (+7.5 %) ✓'
    );
  });

  it('tells a refusal to compare from a failure', () => {
    const refused = gateBadge(
      gate({
        same_eval_data: false,
        passed: false,
        deltas: {},
        reasons: ['refused to compare: the candidate was evaluated on …']
      })
    );
    expect(refused.kind).toBe('refused');
    expect(refused.label).toBe('refused: different evaluation data');
    expect(refused.reasons).toHaveLength(1);
    const failed = gateBadge(
      gate({
        passed: false,
        deltas: {
          auc: {
            candidate: 0.79,
            champion: 0.8,
            delta: -0.01,
            relative: -0.0125,
            passed: false
          }
        },
        reasons: ["auc 0.79 is worse than the champion's 0.8"]
      })
    );
    expect(failed.kind).toBe('failed');
    expect(failed.deltas[0].text).toBe('0.79 vs 0.8: -0.01 (-1.25 %)');
    expect(failed.title).toMatch(/✗\nauc 0.79 is worse/);
  });

  it('has a first version checked against bounds only', () => {
    const badge = gateBadge(
      gate({
        against_version: null,
        champion: null,
        same_eval_data: null,
        deltas: {
          auc: {
            candidate: 0.8,
            champion: null,
            delta: null,
            relative: null,
            passed: true
          }
        }
      })
    );
    expect(badge.against).toBe('vs @champion (no holder: bounds only)');
    expect(badge.deltas[0].text).toBe('0.8');
  });

  it('says when a version was never gated', () => {
    expect(gateBadge(null)).toEqual(
      expect.objectContaining({ kind: 'none', label: 'not gated' })
    );
  });

  it('writes a delta without a relative change', () => {
    expect(
      deltaText({
        candidate: 1,
        champion: 0,
        delta: 1,
        relative: null,
        passed: true
      })
    ).toBe('1 vs 0: +1');
  });
});

describe('champion vs challenger', () => {
  const candidate = version(2, { auc: 0.86, loss: 0.3 });
  const holder = version(1, { auc: 0.8 });

  it('uses the gate: deltas, the same data, the interval', () => {
    const view = sideBySide({
      alias: 'champion',
      candidate,
      holder,
      gate: gate({
        bootstrap: {
          auc: {
            difference: 0.06,
            low: 0.012,
            high: 0.094,
            resamples: 1000,
            seed: 0,
            level: 0.95
          }
        }
      })
    });
    expect(view.source).toBe('gate');
    expect(view.stale).toBeNull();
    expect(view.sameData).toBe(true);
    expect(view.sameDataText).toBe(
      'same evaluation data ✓ data/march.csv (sha256 fa75b5c25fc0…)'
    );
    expect(view.rows).toEqual([
      {
        metric: 'auc',
        holder: '0.8',
        candidate: '0.86',
        delta: '+0.06 (+7.5 %)',
        passed: true,
        interval:
          '95 % interval of the difference [+0.012, +0.094], 1000 resamples'
      }
    ]);
  });

  it('names both data sets when they differ, and a stale gate', () => {
    const view = sideBySide({
      alias: 'champion',
      candidate,
      holder: version(3, {}),
      gate: gate({
        same_eval_data: false,
        champion: evaluation('ab'.repeat(32), 'data/feb.csv')
      })
    });
    expect(view.sameData).toBe(false);
    expect(view.sameDataText).toBe(
      'different evaluation data ✗ the candidate on data/march.csv (sha256 fa75b5c25fc0…), @champion on data/feb.csv (sha256 abababababab…)'
    );
    expect(view.stale).toBe(
      'The latest gate compared against v1, but @champion now holds v3: gate again.'
    );
  });

  it('falls back to the producing runs, saying so', () => {
    const view = sideBySide({
      alias: 'champion',
      candidate,
      holder,
      gate: null
    });
    expect(view.source).toBe('runs');
    expect(view.sameData).toBeNull();
    expect(view.sameDataText).toMatch(/not gated yet/);
    expect(view.rows).toEqual([
      expect.objectContaining({
        metric: 'auc',
        holder: '0.8',
        candidate: '0.86',
        delta: '+0.06 (+7.5 %)',
        passed: null
      }),
      expect.objectContaining({ metric: 'loss', holder: '—', delta: '—' })
    ]);
    expect(
      sideBySide({ alias: 'champion', candidate, holder: null, gate: null })
        .sameDataText
    ).toMatch(/holds no version/);
  });

  it('writes evaluation data and intervals in words', () => {
    expect(evaluationData(null)).toBe('no evaluation');
    expect(
      evaluationData({
        run_id: 'r',
        source: 'producing run',
        metrics: {},
        data_digest: null,
        data: []
      })
    ).toBe('no data digest');
    expect(
      intervalText({
        difference: 0,
        low: -0.01,
        high: 0.02,
        resamples: 200,
        seed: 1,
        level: 0.9
      })
    ).toBe('90 % interval of the difference [-0.01, +0.02], 200 resamples');
  });
});
