import { ApiError, describeError, ENABLE_COMMAND } from '../errors';

describe('describeError', () => {
  it('tells how to enable the server extension on a 404', () => {
    const d = describeError(new ApiError(404, 'Not Found'));
    expect(d.summary).toContain('not installed or not enabled');
    expect(d.action).toContain(ENABLE_COMMAND);
    expect(d.action).toContain('restart JupyterLab');
  });

  it('says the server is unreachable when there is no response', () => {
    const d = describeError(new ApiError(0, 'Failed to fetch'));
    expect(d.summary).toBe(
      'Could not reach the Jupyter server (Failed to fetch).'
    );
  });

  it('asks to log in again on 403', () => {
    expect(describeError(new ApiError(403, 'Forbidden')).summary).toContain(
      'not authenticated'
    );
  });

  it("passes the server's message on for 5xx and 400", () => {
    expect(describeError(new ApiError(500, 'db is down')).summary).toContain(
      'db is down'
    );
    const down = describeError(
      new ApiError(
        503,
        'the run database postgresql://u:***@db/runs is unreachable'
      )
    );
    expect(down.summary).toBe(
      'The run database is unreachable: the run database postgresql://u:***@db/runs is unreachable'
    );
    expect(down.action).toContain('retries by itself');
    const full = describeError(new ApiError(507, 'no space left on /data'));
    expect(full.summary).toContain('is full: no space left on /data');
    expect(full.action).toContain('intact');
    expect(describeError(new ApiError(400, 'bad query at 3')).summary).toBe(
      'bad query at 3'
    );
  });

  it('handles errors that are not ApiErrors', () => {
    expect(describeError(new TypeError('x is undefined')).summary).toBe(
      'Unexpected error: x is undefined'
    );
    expect(describeError('boom').summary).toBe('Unexpected error: boom');
  });

  it("passes on our handlers' 404 message (a missing run or job)", () => {
    const d = describeError(new ApiError(404, 'run abc not found'));
    expect(d.summary).toBe('run abc not found');
    expect(describeError(new ApiError(404, '')).summary).toContain(
      'not installed or not enabled'
    );
  });
});
