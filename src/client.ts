import { requestAPI } from './request';
import { Mlops } from './types';

/** A typed client for the mlops-jupyter REST API. */
export class MlopsClient {
  /** The server extension's version and store location. */
  status(): Promise<Mlops.IStatus> {
    return requestAPI<Mlops.IStatus>('status');
  }
}
