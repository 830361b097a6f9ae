import {
  conditionText,
  evaluationText,
  firingNotice,
  latestFiring,
  newFirings,
  outcomeText,
  parseVersionRef,
  triggerRow,
  triggerRows
} from '../../models/triggers';
import { TriggerNotifier } from '../../models/triggerNotifier';
import { Mlops } from '../../types';

function trigger(overrides: Partial<Mlops.ITrigger> = {}): Mlops.ITrigger {
  return {
    name: 'low-auc',
    when: 'metrics.auc < 0.9',
    kind: 'metric',
    experiment: null,
    model: 'churn@champion',
    window: 1,
    retrain: 'churn@champion',
    register: 'churn',
    against: 'champion',
    cooldown: 3600,
    promote: false,
    enabled: true,
    last_firing: null,
    ...overrides
  };
}

function firing(
  seq: number,
  overrides: Partial<Mlops.ITriggerFiring> = {}
): Mlops.ITriggerFiring {
  return {
    trigger: 'low-auc',
    cause: 'metrics.auc = 0.8 < 0.9',
    firing: seq,
    at: '2026-11-29T13:03:12+00:00',
    outcome: 'retrained',
    version: 'churn/4',
    request_id: null,
    error: null,
    ...overrides
  };
}

describe('conditionText', () => {
  it('says each kind of condition in words', () => {
    expect(conditionText(trigger())).toBe(
      'when metrics.auc < 0.9 on the latest finished run evaluating churn@champion'
    );
    expect(
      conditionText(trigger({ model: null, experiment: 'churn', window: 3 }))
    ).toBe(
      'when metrics.auc < 0.9 on the mean of the last 3 finished runs of experiment churn'
    );
    expect(conditionText(trigger({ kind: 'drift', when: 'drift' }))).toBe(
      'when a drift check of churn@champion finds drift'
    );
    expect(conditionText(trigger({ kind: 'drift', when: 'drift:age' }))).toBe(
      'when column age drifts in a drift check of churn@champion'
    );
    expect(
      conditionText(trigger({ kind: 'data', when: 'new-data:/srv/train.csv' }))
    ).toBe('when the content of /srv/train.csv changes');
    expect(conditionText(trigger({ kind: 'schedule', when: 'every 6h' }))).toBe(
      'on a schedule: every 6h'
    );
  });
});

describe('outcomeText', () => {
  it('names the version, the gate’s reasons, the request and the failing cell', () => {
    expect(outcomeText(firing(1))).toBe('retrained churn/4');
    expect(outcomeText(firing(1, { outcome: 'promoted' }))).toBe(
      'promoted churn/4'
    );
    expect(
      outcomeText(
        firing(1, { outcome: 'gate_failed', error: { message: 'auc lower' } })
      )
    ).toBe('gate failed for churn/4: auc lower');
    expect(
      outcomeText(
        firing(1, { outcome: 'awaiting_approval', request_id: 'r-12' })
      )
    ).toBe('churn/4 awaiting approval (request r-12)');
    expect(
      outcomeText(
        firing(1, {
          outcome: 'error',
          version: null,
          error: { message: 'ValueError: empty', cell: 4 }
        })
      )
    ).toBe('error at cell 4: ValueError: empty');
    expect(
      outcomeText(
        firing(1, { outcome: 'error', version: null, error: { message: 'x' } })
      )
    ).toBe('error: x');
    expect(outcomeText(firing(1, { outcome: 'running' }))).toBe(
      'running: retraining now'
    );
  });
});

describe('triggerRow', () => {
  it('reads the last firing into a row with its links', () => {
    const row = triggerRow(
      trigger({
        enabled: false,
        last_firing: firing(7, {
          outcome: 'awaiting_approval',
          request_id: 'r-9'
        })
      })
    );
    expect(row).toMatchObject({
      name: 'low-auc',
      model: 'churn@champion',
      enabled: false,
      firing: 7,
      firedAt: '2026-11-29T13:03:12+00:00',
      outcome: 'awaiting_approval',
      tone: 'attention',
      version: { name: 'churn', version: 4 },
      request: { name: 'churn', id: 'r-9' }
    });
  });

  it('has no firing, link or outcome for a trigger that never fired', () => {
    const row = triggerRow(trigger({ model: null, register: null }));
    expect(row).toMatchObject({
      model: '—',
      firing: null,
      outcome: null,
      outcomeText: null,
      version: null,
      request: null
    });
  });

  it('links no request unless the outcome awaits approval', () => {
    const row = triggerRow(
      trigger({ last_firing: firing(2, { request_id: 'old' }) })
    );
    expect(row.request).toBeNull();
    expect(row.tone).toBe('ok');
  });

  it('sorts rows by name', () => {
    expect(
      triggerRows([trigger({ name: 'b' }), trigger({ name: 'a' })]).map(
        r => r.name
      )
    ).toEqual(['a', 'b']);
  });
});

describe('parseVersionRef', () => {
  it('reads NAME/N and refuses anything else', () => {
    expect(parseVersionRef('team/churn/12')).toEqual({
      name: 'team/churn',
      version: 12
    });
    expect(parseVersionRef('churn')).toBeNull();
    expect(parseVersionRef('churn/0')).toBeNull();
    expect(parseVersionRef('churn/x')).toBeNull();
    expect(parseVersionRef(null)).toBeNull();
  });
});

describe('new firings', () => {
  const list = (...firings: (Mlops.ITriggerFiring | null)[]) =>
    firings.map((f, i) => trigger({ name: `t${i}`, last_firing: f }));

  it('takes the newest firing as the baseline', () => {
    expect(latestFiring(list(firing(3), null, firing(9)))).toBe(9);
    expect(latestFiring([])).toBe(0);
  });

  it('keeps firings after the baseline, not seen, with an outcome', () => {
    const fresh = newFirings(
      list(
        firing(3),
        firing(12),
        firing(11),
        firing(13, { outcome: 'running' }),
        firing(14)
      ),
      10,
      new Set([14])
    );
    expect(fresh.map(f => f.firing)).toEqual([11, 12]);
  });

  it('says a firing and the evaluation in words', () => {
    expect(firingNotice(firing(1))).toBe(
      'Trigger low-auc fired: retrained churn/4'
    );
    expect(evaluationText([]).lines).toEqual([]);
    expect(evaluationText([firing(1)])).toEqual({
      summary: 'Evaluated: 1 trigger fired.',
      lines: ['low-auc: retrained churn/4 (because metrics.auc = 0.8 < 0.9)']
    });
  });
});

class MemoryStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('TriggerNotifier', () => {
  it('never notifies what existed at load, notifies each later firing once', () => {
    const storage = new MemoryStorage();
    const notified: number[] = [];
    const make = () =>
      new TriggerNotifier({
        client: { triggers: async () => [] },
        notify: f => notified.push(f.firing),
        storage,
        auto: false
      });
    const notifier = make();
    notifier.observe([trigger({ last_firing: firing(5) })]);
    expect(notifier.baseline).toBe(5);
    expect(notified).toEqual([]);
    notifier.observe([trigger({ last_firing: firing(5) })]);
    expect(notified).toEqual([]);
    notifier.observe([
      trigger({ last_firing: firing(6, { outcome: 'running' }) })
    ]);
    expect(notified).toEqual([]);
    notifier.observe([trigger({ last_firing: firing(6) })]);
    notifier.observe([trigger({ last_firing: firing(6) })]);
    expect(notified).toEqual([6]);
    notifier.dispose();

    // The same session, another page load that started before firing 6 was seen there.
    const again = make();
    again.observe([trigger({ last_firing: firing(4) })]);
    again.observe([trigger({ last_firing: firing(6) })]);
    expect(notified).toEqual([6]);
    again.observe([trigger({ last_firing: firing(8) })]);
    expect(notified).toEqual([6, 8]);
    again.dispose();
  });
});
