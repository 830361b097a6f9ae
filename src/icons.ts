import { LabIcon } from '@jupyterlab/ui-components';

import mlopsSvg from '../style/icons/mlops.svg';
import modelsSvg from '../style/icons/models.svg';

/** The sidebar's icon; its paths carry `jp-icon3` so it follows the theme. */
export const mlopsIcon = new LabIcon({
  name: 'mlops-jupyter:runs',
  svgstr: mlopsSvg
});

/** The Models panel's icon (a model as a box); follows the theme like the runs icon. */
export const modelsIcon = new LabIcon({
  name: 'mlops-jupyter:models',
  svgstr: modelsSvg
});
