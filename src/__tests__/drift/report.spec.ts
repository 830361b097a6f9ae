import {
  checkTitle,
  columnFacts,
  distributionBins,
  newCategoryTexts,
  schemaChangeText,
  scoreBar,
  scoreRows,
  sharePercent,
  verdictSentences,
  verdictText
} from '../../drift/report';
import { Mlops } from '../../types';

const age: Mlops.IDriftColumn = {
  method: 'wasserstein',
  score: 2.033649,
  threshold: 0.1,
  drifted: true,
  status: 'drift',
  kind: 'numeric',
  critical: true,
  thresholds: { fixed: 0.1, calibrated: 0.098419, noise: 0.060594 },
  n: { reference: 5000, batch: 3000 },
  missing: { reference: 0, batch: 0.02, change: 0.02 },
  psi: 3.343917,
  psi_band: 'significant',
  distribution: {
    edges: [27.4383, 31.5525, 52.9383],
    reference: [0.25, 0.25, 0.25, 0.25],
    batch: [0.0, 0.1, 0.2, 0.7]
  }
};

const plan: Mlops.IDriftColumn = {
  method: 'jensen_shannon',
  score: 0.016,
  threshold: 0.1,
  drifted: false,
  status: 'ok',
  distribution: {
    categories: ['basic', 'pro', 'team'],
    reference: [0.5918, 0.3064, 0.1018],
    batch: [0.2, 0.694, 0.05],
    other: { reference: 0, batch: 0 },
    new: { reference: 0, batch: 0.056 }
  }
};

describe('drift reports in words', () => {
  it('names verdicts, never calling too little data ok', () => {
    expect(verdictText('ok')).toBe('no drift');
    expect(verdictText('insufficient_data')).toBe('insufficient data');
    expect(
      verdictSentences('insufficient_data', [
        'the batch has 50 rows: at least 100 are needed'
      ])
    ).toEqual([
      'Not enough data to tell whether the data drifted: this is not an “ok”.',
      'The batch has 50 rows: at least 100 are needed.'
    ]);
    expect(verdictSentences('drift', [])).toEqual(['The data drifted.']);
  });

  it('titles a check', () => {
    expect(
      checkTitle({
        check_id: 1,
        at: '',
        actor: 'a',
        verdict: 'ok',
        reference: { ref: 'churn@champion' },
        batch: { name: 'april.csv', rows: 3000 },
        columns: {}
      })
    ).toBe('april.csv (3000 rows) vs churn@champion');
  });

  it('puts every threshold at the middle of its track', () => {
    expect(scoreBar(0.05, 0.1)).toEqual({ width: 25, clipped: false });
    expect(scoreBar(0.1, 0.1)).toEqual({ width: 50, clipped: false });
    expect(scoreBar(2, 0.1)).toEqual({ width: 100, clipped: true });
    expect(scoreBar(null, 0.1)).toBeNull();
    expect(scoreBar(0.1, 0)).toBeNull();
  });

  it('lists the columns with their score, threshold and status', () => {
    const rows = scoreRows({
      age,
      plan,
      id: {
        method: 'none',
        score: null,
        threshold: null,
        status: 'not_compared'
      }
    });
    expect(rows.map(r => [r.name, r.score, r.threshold, r.statusText])).toEqual(
      [
        ['age', '2.034', '0.1', 'drift'],
        ['plan', '0.016', '0.1', 'ok'],
        ['id', '—', '—', 'not compared']
      ]
    );
    expect(rows[0].critical).toBe(true);
    expect(rows[0].hasDistribution).toBe(true);
    expect(rows[2].bar).toBeNull();
  });

  it('bins a numeric column by the reference deciles', () => {
    const d = distributionBins(age)!;
    expect(d.kind).toBe('numeric');
    expect(d.bins.map(b => b.label)).toEqual([
      '< 27.44',
      '27.44 – 31.55',
      '31.55 – 52.94',
      '≥ 52.94'
    ]);
    expect(d.bins[3]).toEqual({
      label: '≥ 52.94',
      reference: 0.25,
      batch: 0.7
    });
    expect(d.max).toBe(0.7);
  });

  it('shows the top categories, then the NEW bucket', () => {
    const d = distributionBins(plan, 2)!;
    expect(d.kind).toBe('categorical');
    expect(d.bins.map(b => b.label)).toEqual([
      'pro',
      'basic',
      'new (never seen in the reference)'
    ]);
    expect(d.hidden).toBe(1);
    expect(distributionBins({ ...plan, distribution: undefined })).toBeNull();
  });

  it('names schema changes and new categories', () => {
    expect(
      schemaChangeText({
        column: 'age',
        change: 'removed',
        reference: 'float64',
        batch: null
      })
    ).toBe('column age removed (was float64)');
    expect(
      schemaChangeText({
        column: 'zip',
        change: 'retyped',
        reference: 'int64',
        batch: 'object'
      })
    ).toBe('column zip retyped: int64 → object');
    expect(
      schemaChangeText({
        column: 'x',
        change: 'added',
        reference: null,
        batch: 'int64'
      })
    ).toBe('column x added (int64)');
    expect(newCategoryTexts({ plan: { enterprise: 0.05 } })).toEqual([
      'plan: new category “enterprise”, 5 % of the batch'
    ]);
    expect(sharePercent(0.12345)).toBe('12.3 %');
  });

  it('adds the facts behind a column', () => {
    expect(columnFacts(age)).toEqual([
      '3000 values in the batch, 5000 in the reference',
      'missing: 0 % → 2 %',
      'PSI 3.344 (significant)',
      'threshold: the highest of fixed 0.1, calibrated 0.09842, noise floor 0.06059'
    ]);
  });
});
