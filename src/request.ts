import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { ApiError } from './errors';

/** The URL prefix of every mlops-jupyter REST endpoint. */
export const API_NAMESPACE = 'mlops-jupyter/api';

/**
 * The absolute URL of an endpoint for the browser to fetch by itself (a download link). GET needs
 * no XSRF token, but a server that checks one on cookie-authenticated GETs finds it in `_xsrf`,
 * as in JupyterLab's own file downloads.
 *
 * @param endPoint path below `/mlops-jupyter/api/`
 */
export function endpointUrl(endPoint: string): string {
  const settings = ServerConnection.makeSettings();
  const url = new URL(
    URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint),
    window.location.href
  );
  const xsrf = document.cookie.match('\\b_xsrf=([^;]*)\\b');
  if (xsrf) {
    url.searchParams.append('_xsrf', xsrf[1]);
  }
  return url.toString();
}

/**
 * Call the mlops-jupyter REST API.
 *
 * @param endPoint path below `/mlops-jupyter/api/`
 * @param init fetch options; a body is sent as `application/json` unless it says otherwise
 * @returns the decoded JSON body
 * @throws {ApiError} carrying the HTTP status and the server's `message`
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  // Bodies are JSON: the server refuses others (415), and fetch would call a string text/plain.
  const headers = new Headers(init.headers);
  if (
    init.body !== undefined &&
    init.body !== null &&
    !headers.has('Content-Type')
  ) {
    headers.set('Content-Type', 'application/json');
  }

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { ...init, headers },
      settings
    );
  } catch (error) {
    throw new ApiError(0, String((error as Error)?.message ?? error));
  }

  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // A non-JSON body (e.g. an HTML 404 page) is kept as text for the error below.
    }
  }
  if (!response.ok) {
    const message =
      data && typeof data === 'object' && typeof data.message === 'string'
        ? data.message
        : response.statusText;
    throw new ApiError(response.status, message, data);
  }
  return data as T;
}
