/**
 * Small pieces of the Models panel: alias chips, the gate badge, an action's outcome, a
 * version's metrics line, the section and page frames.
 */
import { refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';

import { SmallButton } from '../components/buttons';
import { ErrorAlert } from '../components/ErrorAlert';
import { IErrorDescription } from '../errors';
import { formatMetric } from '../format';
import { Mlops } from '../types';
import { IOutcome } from './actions';
import { gateBadge } from './gate';

/** An alias as a chip: `@champion`, with the version it holds when asked. */
export function AliasChip(props: {
  readonly alias: string;
  readonly version?: number;
  readonly protected?: boolean;
}): JSX.Element {
  const { alias, version } = props;
  return (
    <span
      className={`jp-mlops-chip${props.protected ? ' jp-mod-protected' : ''}`}
      data-alias={alias}
      title={
        props.protected
          ? `@${alias}: protected by the policy, moves only by Promote`
          : `@${alias}`
      }
    >
      {`@${alias}${version === undefined ? '' : ` → v${version}`}`}
    </span>
  );
}

/** A version's alias chips (nothing when it holds none). */
export function AliasChips(props: {
  readonly aliases: ReadonlyArray<string>;
}): JSX.Element | null {
  return props.aliases.length ? (
    <span className="jp-mlops-chips" aria-label="Aliases">
      {props.aliases.map(a => (
        <AliasChip key={a} alias={a} />
      ))}
    </span>
  ) : null;
}

/**
 * A version's latest gate: passed, failed or refused to compare (text says which, the colour
 * only reinforces it); the deltas and reasons on hover and when expanded.
 */
export function GateBadge(props: {
  readonly gate: Mlops.IGateSummary | Mlops.IGateResult | null | undefined;
}): JSX.Element {
  const badge = gateBadge(props.gate);
  if (badge.kind === 'none') {
    return (
      <span className="jp-mlops-gate jp-mlops-gate-none" title={badge.title}>
        {badge.label}
      </span>
    );
  }
  return (
    <details className={`jp-mlops-gate jp-mlops-gate-${badge.kind}`}>
      <summary title={badge.title}>
        <span className="jp-mlops-gate-label">{badge.label}</span>{' '}
        <span className="jp-mlops-gate-against">{badge.against}</span>
      </summary>
      <ul className="jp-mlops-gate-deltas" aria-label="Gate deltas">
        {badge.deltas.map(d => (
          <li key={d.metric} data-metric={d.metric}>
            <span className="jp-mlops-gate-mark" aria-hidden="true">
              {d.passed ? '✓' : '✗'}
            </span>
            {`${d.metric} ${d.text}${d.passed ? '' : ' (rule failed)'}`}
          </li>
        ))}
      </ul>
      {badge.reasons.length > 0 && (
        <ul className="jp-mlops-gate-reasons" aria-label="Why">
          {badge.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
    </details>
  );
}

/** A version's metrics on one line: `auc=0.86, loss=0.31`. */
export function metricsLine(metrics: {
  readonly [key: string]: Mlops.MetricValue;
}): string {
  return Object.entries(metrics ?? {})
    .map(([k, v]) => `${k}=${formatMetric(v)}`)
    .join(', ');
}

/** What the last action ended with: a message and, for a refused promotion, every reason. */
export function OutcomeView(props: {
  readonly outcome: IOutcome | null;
  readonly onDismiss: () => void;
}): JSX.Element | null {
  const { outcome, onDismiss } = props;
  if (!outcome?.message) {
    return null;
  }
  return (
    <div
      className={`jp-mlops-outcome jp-mod-${outcome.tone ?? 'error'}`}
      role={outcome.tone === 'success' ? 'status' : 'alert'}
    >
      <div>{outcome.message}</div>
      {outcome.reasons && (
        <ul className="jp-mlops-outcome-reasons">
          {outcome.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      )}
      <SmallButton onClick={onDismiss}>Dismiss</SmallButton>
    </div>
  );
}

/** A titled part of a page. */
export function PageSection(props: {
  readonly title: string;
  readonly children: React.ReactNode;
  readonly className?: string;
  readonly actions?: React.ReactNode;
}): JSX.Element {
  const id = `jp-mlops-section-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section
      className={`jp-mlops-page-section ${props.className ?? ''}`}
      aria-labelledby={id}
    >
      <div className="jp-mlops-page-section-head">
        <h3 id={id}>{props.title}</h3>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

/** A page's title line with Refresh. */
export function PageHeader(props: {
  readonly title: string;
  readonly onRefresh: () => void;
  readonly loading: boolean;
  readonly children?: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-mlops-page-header">
      <h2 className="jp-mlops-page-title">{props.title}</h2>
      {props.children}
      <span className="jp-mlops-spacer" />
      <SmallButton
        icon={refreshIcon}
        title="Load again"
        aria-busy={props.loading}
        onClick={props.onRefresh}
      >
        Refresh
      </SmallButton>
    </div>
  );
}

/** A page that could not load: why, and Retry. */
export function LoadError(props: {
  readonly error: IErrorDescription;
  readonly onRetry: () => void;
}): JSX.Element {
  return (
    <ErrorAlert error={props.error}>
      <SmallButton onClick={props.onRetry}>Retry</SmallButton>
    </ErrorAlert>
  );
}
