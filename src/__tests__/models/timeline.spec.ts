import {
  moveTitle,
  rollbackTarget,
  timelineEntries
} from '../../models/timeline';
import { Mlops } from '../../types';

function event(
  seq: number,
  kind: string,
  from: number | null,
  to: number | null,
  reason: string | null = null
): Mlops.IEvent {
  return {
    seq,
    at: `2026-11-30T10:0${seq}:00+00:00`,
    actor: seq % 2 ? 'alice' : 'bob',
    kind,
    model: 'churn',
    alias: 'champion',
    from_version: from,
    to_version: to,
    reason,
    details: null,
    hash: 'h'
  };
}

describe('alias timeline', () => {
  const events = [
    event(1, 'alias_moved', null, 1, 'first'),
    event(2, 'alias_moved', 1, 2, 'better'),
    event(3, 'alias_rollback', 2, 1, 'v2 misbehaves')
  ];

  it('says each move in words, oldest first, the last one current', () => {
    expect(timelineEntries(events)).toEqual([
      expect.objectContaining({
        title: 'set to v1',
        actor: 'alice',
        reason: 'first',
        current: false
      }),
      expect.objectContaining({
        title: 'moved v1 → v2',
        actor: 'bob',
        current: false
      }),
      expect.objectContaining({
        title: 'rolled back v2 → v1',
        reason: 'v2 misbehaves',
        current: true
      })
    ]);
  });

  it('names promotions and removals', () => {
    expect(moveTitle(event(4, 'promotion', 1, 3))).toBe('promoted v1 → v3');
    expect(moveTitle(event(4, 'promotion', null, 3))).toBe('promoted to v3');
    expect(moveTitle(event(5, 'alias_removed', 3, null))).toBe(
      'removed (was v3)'
    );
    expect(moveTitle(event(6, 'gate_passed', 3, null))).toBe('gate passed');
  });

  it('knows where a rollback goes, as the registry does', () => {
    expect(rollbackTarget([])).toBeUndefined();
    expect(rollbackTarget(events.slice(0, 1))).toBeUndefined();
    expect(rollbackTarget(events.slice(0, 2))).toBe(1);
    // After rolling back to v1, nothing older is left.
    expect(rollbackTarget(events)).toBeUndefined();
    expect(
      rollbackTarget([
        ...events.slice(0, 2),
        event(3, 'alias_moved', 2, 3),
        event(4, 'alias_rollback', 3, 2)
      ])
    ).toBe(1);
  });
});
