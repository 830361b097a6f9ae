import { checkIcon, closeIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { Time } from '../details/sections';
import { Mlops } from '../types';
import {
  isOpen,
  requestStatusText,
  requestTarget,
  voteState
} from './approvals';

/**
 * Approval requests with Approve and Reject; a button the user may not use is disabled and
 * the reason is written under it. Closed requests are folded away.
 */
export function RequestList(props: {
  readonly requests: ReadonlyArray<Mlops.IApprovalRequest>;
  readonly user: string;
  readonly policy: Mlops.IPolicy | null;
  /** A request to show and scroll to (from a notification). */
  readonly highlight?: string;
  readonly onVote: (request: Mlops.IApprovalRequest, approve: boolean) => void;
}): JSX.Element {
  const { requests, highlight } = props;
  const open = requests.filter(isOpen);
  const closed = requests.filter(r => !isOpen(r));
  const highlightClosed = closed.some(r => r.id === highlight);
  return (
    <>
      {open.length === 0 ? (
        <div className="jp-mlops-muted">No open approval request.</div>
      ) : (
        <ul className="jp-mlops-requests" aria-label="Open approval requests">
          {open.map(r => (
            <RequestItem key={r.id} {...props} request={r} />
          ))}
        </ul>
      )}
      {closed.length > 0 && (
        <details className="jp-mlops-closed-requests" open={highlightClosed}>
          <summary>{`Closed requests (${closed.length})`}</summary>
          <ul
            className="jp-mlops-requests"
            aria-label="Closed approval requests"
          >
            {closed.map(r => (
              <RequestItem key={r.id} {...props} request={r} />
            ))}
          </ul>
        </details>
      )}
    </>
  );
}

function RequestItem(props: {
  readonly request: Mlops.IApprovalRequest;
  readonly user: string;
  readonly policy: Mlops.IPolicy | null;
  readonly highlight?: string;
  readonly onVote: (request: Mlops.IApprovalRequest, approve: boolean) => void;
}): JSX.Element {
  const { request, user, policy, highlight, onVote } = props;
  const state = voteState(request, user, policy?.aliases[request.alias]);
  const current = highlight === request.id;
  const ref = React.useRef<HTMLLIElement>(null);
  React.useEffect(() => {
    if (current) {
      ref.current?.scrollIntoView({ block: 'nearest' });
    }
  }, [current]);
  const reasonId = `jp-mlops-vote-${request.id}`;
  const reasons = [
    ...new Set([state.approveReason, state.rejectReason].filter(Boolean))
  ] as string[];
  return (
    <li
      ref={ref}
      className={`jp-mlops-request jp-mlops-request-${request.status}${current ? ' jp-mod-current' : ''}`}
      data-request={request.id}
      aria-current={current ? 'true' : undefined}
      aria-label={`Request ${request.name} ${requestTarget(request)} by ${request.requester}`}
    >
      <div className="jp-mlops-request-head">
        <strong>{requestTarget(request)}</strong>
        <span className={`jp-mlops-request-status jp-mod-${request.status}`}>
          {requestStatusText(request)}
        </span>
      </div>
      <div className="jp-mlops-muted">
        {`asked by ${request.requester === user ? 'you' : request.requester}`}
        {request.created_at && (
          <>
            {' · '}
            <Time iso={request.created_at} />
          </>
        )}
      </div>
      {request.comment && (
        <div className="jp-mlops-quote">{`“${request.comment}”`}</div>
      )}
      <Votes request={request} />
      {isOpen(request) && (
        <div className="jp-mlops-request-actions">
          <SmallButton
            variant="accept"
            icon={checkIcon}
            disabled={!state.canApprove}
            title={state.approveReason ?? 'Approve this request'}
            aria-describedby={state.approveReason ? reasonId : undefined}
            onClick={() => onVote(request, true)}
          >
            Approve…
          </SmallButton>
          <SmallButton
            variant="warn"
            icon={closeIcon}
            disabled={!state.canReject}
            title={state.rejectReason ?? 'Reject this request, saying why'}
            aria-describedby={state.rejectReason ? reasonId : undefined}
            onClick={() => onVote(request, false)}
          >
            Reject…
          </SmallButton>
        </div>
      )}
      {isOpen(request) && reasons.length > 0 && (
        <div id={reasonId} className="jp-mlops-vote-reason">
          {reasons.join(' ')}
        </div>
      )}
    </li>
  );
}

function Votes(props: {
  readonly request: Mlops.IApprovalRequest;
}): JSX.Element | null {
  const { approvals, rejections } = props.request;
  if (approvals.length + rejections.length === 0) {
    return null;
  }
  return (
    <ul className="jp-mlops-votes" aria-label="Votes">
      {approvals.map((v, i) => (
        <li key={`a${i}`}>
          {`✓ approved by ${v.actor}${v.comment ? `: “${v.comment}”` : ''}`}
        </li>
      ))}
      {rejections.map((v, i) => (
        <li key={`r${i}`}>
          {`✗ rejected by ${v.actor}${v.comment ? `: “${v.comment}”` : ''}`}
        </li>
      ))}
    </ul>
  );
}
