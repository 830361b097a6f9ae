import { ApiError } from '../errors';
import { requestAPI } from '../request';

const makeRequest = jest.fn();

jest.mock('@jupyterlab/services', () => ({
  ServerConnection: {
    makeSettings: () => ({ baseUrl: 'http://localhost:8888/' }),
    makeRequest: (...args: unknown[]) => makeRequest(...args)
  }
}));

jest.mock('@jupyterlab/coreutils', () => ({
  URLExt: { join: (...parts: string[]) => parts.join('/') }
}));

function reply(status: number, body: string): Response {
  return {
    ok: status < 400,
    status,
    statusText: 'Status',
    text: async () => body
  } as Response;
}

describe('requestAPI', () => {
  beforeEach(() => makeRequest.mockReset());

  it('sends a body as JSON', async () => {
    makeRequest.mockResolvedValue(reply(202, '{"job": {"id": "j1"}}'));
    const data = await requestAPI<{ job: { id: string } }>(
      'runs/r1/reproduce',
      {
        method: 'POST',
        body: '{}'
      }
    );
    expect(data.job.id).toBe('j1');
    const [url, init] = makeRequest.mock.calls[0];
    expect(url).toBe(
      'http://localhost:8888//mlops-jupyter/api/runs/r1/reproduce'
    );
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{}');
    expect((init.headers as Headers).get('Content-Type')).toBe(
      'application/json'
    );
  });

  it('declares no content type without a body, and keeps one given', async () => {
    makeRequest.mockResolvedValue(reply(200, '{}'));
    await requestAPI('status');
    expect(
      (makeRequest.mock.calls[0][1].headers as Headers).has('Content-Type')
    ).toBe(false);
    await requestAPI('x', {
      method: 'POST',
      body: 'a,b',
      headers: { 'Content-Type': 'text/csv' }
    });
    expect(
      (makeRequest.mock.calls[1][1].headers as Headers).get('Content-Type')
    ).toBe('text/csv');
  });

  it("raises the server's message with the status", async () => {
    makeRequest.mockResolvedValue(reply(415, '{"message": "must be JSON"}'));
    const request = requestAPI('sweeps', { method: 'POST', body: '{}' });
    await expect(request).rejects.toBeInstanceOf(ApiError);
    await expect(request).rejects.toMatchObject({
      status: 415,
      message: 'must be JSON'
    });
  });
});
