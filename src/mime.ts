/**
 * The MIME renderer extension of mlops-jupyter (package.json's `jupyterlab.mimeExtension`).
 */
import { runSummaryExtension } from './summary/renderer';

export default runSummaryExtension;
