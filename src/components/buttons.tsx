/**
 * The extension's buttons: JupyterLab's `Button` (`jp-Button`), small, styled the way JupyterLab's
 * own dialogs style theirs (`jp-mod-styled` with `jp-mod-accept` for the main action,
 * `jp-mod-warn` for a destructive one), with an optional icon and a visible focus ring.
 */
import { Button, IButtonProps, LabIcon } from '@jupyterlab/ui-components';
import React from 'react';

/** How a button looks: the main action of its place, a destructive one, or any other. */
export type ButtonVariant = 'accept' | 'warn' | 'default';

/** The classes of a button of a variant (minimal buttons have none of these). */
export function variantClass(variant: ButtonVariant): string {
  switch (variant) {
    case 'accept':
      return 'jp-mod-styled jp-mod-accept';
    case 'warn':
      return 'jp-mod-styled jp-mod-warn';
    default:
      return 'jp-mod-styled jp-mlops-button-default';
  }
}

export interface ISmallButtonProps extends IButtonProps {
  /** The look of a button that is not `minimal` (default: `default`). */
  variant?: ButtonVariant;
  /** An icon before the text. */
  icon?: LabIcon;
}

/** A small button (`className` adds classes to `jp-mlops-small-button`). */
export function SmallButton(props: ISmallButtonProps): JSX.Element {
  const { className, variant, icon, children, minimal, ...others } = props;
  const classes = [
    'jp-mlops-small-button',
    minimal ? '' : variantClass(variant ?? 'default'),
    className ?? ''
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <Button className={classes} small minimal={minimal} {...others}>
      {icon && (
        <icon.react
          tag="span"
          className="jp-mlops-button-icon"
          elementSize="small"
        />
      )}
      {children}
    </Button>
  );
}

/** A run id (or name) that opens the run: a small, minimal button. */
export function LinkButton(props: ISmallButtonProps): JSX.Element {
  return <SmallButton className="jp-mlops-link-button" minimal {...props} />;
}
