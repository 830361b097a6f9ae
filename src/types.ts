/**
 * Wire types of the mlops-jupyter REST API; they mirror `api/openapi.yaml`.
 */
export namespace Mlops {
  /** `GET /mlops-jupyter/api/status` */
  export interface IStatus {
    readonly version: string;
    readonly store: {
      /** Human-readable store location (a path, or a URL with the password masked). */
      readonly location: string;
      /** The database kind: `sqlite` or `postgresql`. */
      readonly kind: string;
    };
  }
}
