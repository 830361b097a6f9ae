import { ApprovalNotifier } from '../../models/notifier';
import { Mlops } from '../../types';
import { waitFor } from '../signals';

function request(id: string): Mlops.IApprovalRequest {
  return {
    id,
    name: 'churn',
    version: 2,
    alias: 'champion',
    requester: 'bob',
    status: 'pending',
    required: 1,
    counted: 0,
    approvals: [],
    rejections: [],
    may_approve: true
  };
}

class MemoryStorage {
  items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('ApprovalNotifier', () => {
  it('notifies each waiting request once, remembering it across reloads', async () => {
    let requests = [request('a')];
    const queries: Mlops.IApprovalQuery[] = [];
    const client = {
      approvals: async (query: Mlops.IApprovalQuery) => {
        queries.push(query);
        return { requests, user: 'alice' };
      }
    };
    const storage = new MemoryStorage();
    const notified: string[] = [];
    const notifier = new ApprovalNotifier({
      client,
      storage,
      notify: r => notified.push(r.id),
      interval: 60_000
    });
    await waitFor(notifier, () => notifier.waiting.length === 1);
    expect(notifier.user).toBe('alice');
    expect(queries[0]).toEqual({ forMe: true });
    expect(notified).toEqual(['a']);

    requests = [request('b'), request('a')];
    await notifier.refresh();
    await waitFor(notifier, () => notifier.waiting.length === 2);
    expect(notified).toEqual(['a', 'b']);
    notifier.dispose();
    expect(
      JSON.parse(storage.getItem('mlops-jupyter:notified-requests:alice')!)
    ).toEqual(['a', 'b']);

    // A new page (a reload) does not notify them again.
    const again: string[] = [];
    const next = new ApprovalNotifier({
      client,
      storage,
      notify: r => again.push(r.id)
    });
    await waitFor(next, () => next.waiting.length === 2);
    expect(again).toEqual([]);
    next.dispose();
    expect(next.isDisposed).toBe(true);
  });
});
