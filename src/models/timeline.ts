/**
 * An alias's timeline: its moves (`GET models/{name}/history?alias=A`, oldest first) in words.
 * Plain module (jest-tested).
 */
import { Mlops } from '../types';

/** One move of an alias as the timeline shows it. */
export interface ITimelineEntry {
  readonly seq: number;
  /** The event kind, for a class name (`alias_moved`, `alias_rollback`, ...). */
  readonly kind: string;
  /** `set to v1`, `moved v1 → v2`, `rolled back v2 → v1`, `promoted v1 → v2`, `removed (was v2)`. */
  readonly title: string;
  readonly actor: string;
  readonly at: string;
  /** Why, as the actor wrote it ('' when none). */
  readonly reason: string;
  /** Whether this move put the alias where it is now (the last one). */
  readonly current: boolean;
}

function v(version: number | null): string {
  return version === null ? 'none' : `v${version}`;
}

/** What one alias event did, in words. */
export function moveTitle(event: Mlops.IEvent): string {
  const from = event.from_version;
  const to = event.to_version;
  switch (event.kind) {
    case 'alias_rollback':
      return `rolled back ${v(from)} → ${v(to)}`;
    case 'alias_removed':
      return `removed (was ${v(from)})`;
    case 'promotion':
      return from === null
        ? `promoted to ${v(to)}`
        : `promoted ${v(from)} → ${v(to)}`;
    case 'alias_moved':
      if (to === null) {
        return `removed (was ${v(from)})`;
      }
      return from === null ? `set to ${v(to)}` : `moved ${v(from)} → ${v(to)}`;
    default:
      return event.kind.replace(/_/g, ' ');
  }
}

/** The entries of an alias's timeline, oldest first (the order the log keeps). */
export function timelineEntries(
  events: ReadonlyArray<Mlops.IEvent>
): ITimelineEntry[] {
  return events.map((event, i) => ({
    seq: event.seq,
    kind: event.kind,
    title: moveTitle(event),
    actor: event.actor,
    at: event.at,
    reason: event.reason ?? '',
    current: i === events.length - 1
  }));
}

/**
 * Where a rollback would move the alias: the version it held before its last move (null: it
 * was unset then), or undefined when there is nothing to roll back to.
 */
export function rollbackTarget(
  events: ReadonlyArray<Mlops.IEvent>
): number | null | undefined {
  // Mirrors Registry.holders: a rollback undoes the move before it.
  const stack: (number | null)[] = [];
  for (const event of events) {
    if (event.kind === 'alias_rollback' && stack.length) {
      stack.pop();
      if (!stack.length || stack[stack.length - 1] !== event.to_version) {
        stack.push(event.to_version);
      }
    } else {
      stack.push(event.to_version);
    }
  }
  return stack.length >= 2 ? stack[stack.length - 2] : undefined;
}
