/**
 * The MIME renderer of the run summary a `%%track` cell displays. It ranks before HTML, so
 * JupyterLab shows it instead of the bundle's `text/html` table; other frontends keep that table
 * or the text.
 */
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { RUN_MIME_TYPE, summaryView } from './data';
import { RunSummaryView } from './RunSummaryView';

/** Renders one summary; the kernel's updates of the display (a live view) render it again. */
export class RunSummaryRenderer
  extends ReactWidget
  implements IRenderMime.IRenderer
{
  constructor(options: IRenderMime.IRendererOptions) {
    super();
    this._mimeType = options.mimeType;
    this.addClass('jp-mlops-summary-output');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._data = model.data[this._mimeType];
    this.update();
    return this.renderPromise ?? Promise.resolve();
  }

  protected render(): JSX.Element {
    return <RunSummaryView view={summaryView(this._data)} />;
  }

  private readonly _mimeType: string;
  private _data: unknown = null;
}

/** Creates the summary renderers; its output is text, never HTML, so it is safe. */
export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [RUN_MIME_TYPE],
  createRenderer: options => new RunSummaryRenderer(options)
};

/** The MIME renderer extension (lib/mime.js is package.json's `mimeExtension`). */
export const runSummaryExtension: IRenderMime.IExtension = {
  id: 'mlops-jupyter:run-summary',
  description:
    'The run summary under a %%track cell, with a button opening the run.',
  rendererFactory,
  // Before text/html (50): JupyterLab picks the lowest rank among the bundle's types.
  rank: 0,
  dataType: 'json'
};
