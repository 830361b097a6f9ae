import { LabIcon } from '@jupyterlab/ui-components';

import mlopsSvg from '../style/icons/mlops.svg';

/** The sidebar's icon; its paths carry `jp-icon3` so it follows the theme. */
export const mlopsIcon = new LabIcon({
  name: 'mlops-jupyter:runs',
  svgstr: mlopsSvg
});
