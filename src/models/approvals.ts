/**
 * Approval requests in words: their state, who may vote and, when the user may not, why.
 * Plain module (jest-tested). The server decides (`may_approve`, a 409 otherwise); these words
 * explain its rules (mlops_jupyter/registry/approvals.py) next to a disabled button.
 */
import { Mlops } from '../types';

/** Whether a request still takes votes. */
export function isOpen(request: Mlops.IApprovalRequest): boolean {
  return request.status === 'pending' || request.status === 'approved';
}

/** `v2 → @champion` */
export function requestTarget(request: Mlops.IApprovalRequest): string {
  return `v${request.version} → @${request.alias}`;
}

/** A request's state in words. */
export function requestStatusText(request: Mlops.IApprovalRequest): string {
  switch (request.status) {
    case 'pending':
      return `pending: ${request.counted} of ${request.required} approval(s)`;
    case 'approved':
      return `approved: ${request.counted} of ${request.required} approval(s)`;
    case 'rejected':
      return `rejected by ${request.rejections.map(r => r.actor).join(', ') || 'someone'}`;
    case 'expired':
      return `expired${request.expires_at ? ` on ${request.expires_at.slice(0, 10)}` : ''}`;
    case 'void':
      return "void: the version's gate result changed since it was asked";
    case 'used':
      return 'used by a promotion';
    default:
      return String(request.status);
  }
}

/** Whether the user may vote on a request, and if not, why (shown by the disabled button). */
export interface IVoteState {
  readonly canApprove: boolean;
  /** Why Approve is disabled (null when enabled). */
  readonly approveReason: string | null;
  readonly canReject: boolean;
  /** Why Reject is disabled (null when enabled). */
  readonly rejectReason: string | null;
}

/**
 * What the user may do with a request.
 *
 * @param user the authenticated user (`GET approvals` answers it)
 * @param policy the alias's policy, when known (names the approvers in the reason)
 */
export function voteState(
  request: Mlops.IApprovalRequest,
  user: string,
  policy?: Mlops.IAliasPolicy | null
): IVoteState {
  const voted = [...request.approvals, ...request.rejections].some(
    v => v.actor === user
  );
  const approvers = policy?.approvers ?? [];
  const mine = request.requester === user;
  let closed: string | null = null;
  if (!isOpen(request)) {
    closed = `This request is ${requestStatusText(request)}.`;
  } else if (voted) {
    closed = 'You already voted on this request.';
  }
  let approveReason = closed;
  if (!approveReason && request.may_approve !== true) {
    if (mine && !policy?.self_approval) {
      approveReason =
        'You asked for it: the policy does not allow approving your own request.';
    } else if (approvers.length > 0 && !approvers.includes(user)) {
      approveReason = `Only ${approvers.join(', ')} may approve it (the policy's approvers).`;
    } else if (request.may_approve === false) {
      approveReason = 'The policy does not let you approve this request.';
    }
  }
  let rejectReason = closed;
  if (!rejectReason && approvers.length > 0 && !approvers.includes(user)) {
    rejectReason = mine
      ? null // a requester may withdraw their own request by rejecting it
      : `Only ${approvers.join(', ')} may reject it (the policy's approvers).`;
  }
  return {
    canApprove: approveReason === null,
    approveReason,
    canReject: rejectReason === null,
    rejectReason
  };
}

/** The requests not notified yet, in the order given. */
export function newRequests(
  requests: ReadonlyArray<Mlops.IApprovalRequest>,
  notified: ReadonlySet<string>
): Mlops.IApprovalRequest[] {
  return requests.filter(r => !notified.has(r.id));
}

/** A notification's text: `alice asks you to approve churn v2 → @champion`. */
export function requestNotice(request: Mlops.IApprovalRequest): string {
  const comment = request.comment ? `: “${request.comment}”` : '';
  return `${request.requester} asks you to approve ${request.name} ${requestTarget(request)}${comment}`;
}
