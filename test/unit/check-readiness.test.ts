import { NotReadyError } from '../../functions/core/domain/errors';
import { toProblem } from '../../functions/core/http/problem';
import { checkReadiness, type DependencyCheckError } from '../../functions/core/use-cases/health/check-readiness';

describe('checkReadiness', () => {
  it('answers ok for every dependency that answers', async () => {
    await expect(
      checkReadiness({ table: async () => undefined, workflow: async () => undefined }, 50),
    ).resolves.toEqual({ table: 'ok', workflow: 'ok' });
  });

  it('names a failing dependency and one that never answers, aborting the hanging one at its deadline', async () => {
    let aborted = false;
    const hanging = (signal: AbortSignal) =>
      new Promise<void>(() => {
        signal.addEventListener('abort', () => (aborted = true));
      });
    const failure = await checkReadiness(
      {
        table: async () => {
          throw new Error('ResourceNotFoundException: orders-prod');
        },
        workflow: hanging,
        events: async () => undefined,
      },
      20,
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NotReadyError);
    const notReady = failure as NotReadyError;
    expect(notReady.checks).toEqual({ table: 'unavailable', workflow: 'unavailable', events: 'ok' });
    expect(aborted).toBe(true);
    // The causes are kept for the logs, by dependency...
    const causes = (notReady.cause as AggregateError).errors as DependencyCheckError[];
    expect(causes.map((cause) => cause.dependency)).toEqual(['table', 'workflow']);
    // ...and the answer carries the logical names only.
    const problem = toProblem(notReady, 'req-1');
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      code: 'NOT_READY',
      detail: 'not ready: table, workflow unavailable',
      requestId: 'req-1',
      checks: { table: 'unavailable', workflow: 'unavailable', events: 'ok' },
    });
    expect(JSON.stringify(problem)).not.toContain('orders-prod');
  });
});
