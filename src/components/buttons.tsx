/**
 * The extension's buttons: JupyterLab's `Button`, small, with the sidebar's font size.
 */
import { Button, IButtonProps } from '@jupyterlab/ui-components';
import React from 'react';

/** A small button (`className` adds classes to `jp-mlops-small-button`). */
export function SmallButton(props: IButtonProps): JSX.Element {
  const { className, ...others } = props;
  return (
    <Button
      className={
        className
          ? `jp-mlops-small-button ${className}`
          : 'jp-mlops-small-button'
      }
      small
      {...others}
    />
  );
}

/** A run id (or name) that opens the run: a small, minimal button. */
export function LinkButton(props: IButtonProps): JSX.Element {
  return <SmallButton className="jp-mlops-link-button" minimal {...props} />;
}
