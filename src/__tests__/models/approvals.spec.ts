import {
  newRequests,
  requestNotice,
  requestStatusText,
  voteState
} from '../../models/approvals';
import { Mlops } from '../../types';

function request(
  patch: Partial<Mlops.IApprovalRequest> = {}
): Mlops.IApprovalRequest {
  return {
    id: 'r1',
    name: 'churn',
    version: 2,
    alias: 'champion',
    requester: 'alice',
    comment: null,
    status: 'pending',
    required: 1,
    counted: 0,
    approvals: [],
    rejections: [],
    ...patch
  };
}

const vote = (actor: string): Mlops.IVote => ({
  actor,
  comment: 'ok',
  at: '',
  identity: 'authenticated'
});

describe('approval requests in words', () => {
  it('says each state', () => {
    expect(requestStatusText(request())).toBe('pending: 0 of 1 approval(s)');
    expect(requestStatusText(request({ status: 'approved', counted: 1 }))).toBe(
      'approved: 1 of 1 approval(s)'
    );
    expect(
      requestStatusText(
        request({ status: 'rejected', rejections: [vote('bob')] })
      )
    ).toBe('rejected by bob');
    expect(
      requestStatusText(
        request({ status: 'expired', expires_at: '2026-12-14T23:28:55+00:00' })
      )
    ).toBe('expired on 2026-12-14');
    expect(requestStatusText(request({ status: 'void' }))).toMatch(
      /gate result changed/
    );
    expect(requestStatusText(request({ status: 'used' }))).toBe(
      'used by a promotion'
    );
  });

  it('lets another user approve', () => {
    expect(voteState(request({ may_approve: true }), 'bob')).toEqual({
      canApprove: true,
      approveReason: null,
      canReject: true,
      rejectReason: null
    });
  });

  it('says why the requester may not approve their own request', () => {
    const state = voteState(request({ may_approve: false }), 'alice');
    expect(state.canApprove).toBe(false);
    expect(state.approveReason).toBe(
      'You asked for it: the policy does not allow approving your own request.'
    );
    // Rejecting withdraws it.
    expect(state.canReject).toBe(true);
  });

  it('says when the user already voted, or the request is closed', () => {
    const voted = voteState(
      request({ may_approve: false, approvals: [vote('bob')] }),
      'bob'
    );
    expect(voted.approveReason).toBe('You already voted on this request.');
    expect(voted.rejectReason).toBe('You already voted on this request.');
    const used = voteState(request({ status: 'used' }), 'bob');
    expect(used.canApprove).toBe(false);
    expect(used.approveReason).toBe('This request is used by a promotion.');
    expect(used.canReject).toBe(false);
  });

  it('names the approvers', () => {
    const state = voteState(request({ may_approve: false }), 'carol', {
      approvers: ['bob', 'dan']
    });
    expect(state.approveReason).toBe(
      "Only bob, dan may approve it (the policy's approvers)."
    );
    expect(state.rejectReason).toMatch(/Only bob, dan may reject it/);
    expect(
      voteState(request({ may_approve: false }), 'carol', {}).approveReason
    ).toBe('The policy does not let you approve this request.');
  });

  it('notifies each request once', () => {
    const requests = [request({ id: 'a' }), request({ id: 'b' })];
    expect(newRequests(requests, new Set(['a'])).map(r => r.id)).toEqual(['b']);
    expect(requestNotice(request({ comment: 'beats v1' }))).toBe(
      'alice asks you to approve churn v2 → @champion: “beats v1”'
    );
  });
});
