import { NotReadyError } from '../../domain/errors';
import type { DependencyProbe } from '../../domain/ports';

/** A probe's failure, for the logs only: the response names the dependency and nothing else. */
export class DependencyCheckError extends Error {
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DependencyCheckError';
  }
}

class ProbeTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'ProbeTimeoutError';
  }
}

/**
 * Checks every dependency at once, each with its own deadline, and answers with each one's state by logical name.
 * Throws NotReadyError (a 503) naming the ones that failed or ran out of time; the causes travel in its `cause`
 * for the logs. A probe that ignores its abort signal cannot hold the answer past its deadline.
 */
export async function checkReadiness<Name extends string>(
  probes: Readonly<Record<Name, DependencyProbe>>,
  timeoutMs: number,
): Promise<Record<Name, 'ok'>> {
  const names = Object.keys(probes) as Name[];
  const outcomes = await Promise.allSettled(names.map((name) => withDeadline(probes[name], timeoutMs)));
  const checks = Object.fromEntries(
    names.map((name, index) => [name, outcomes[index]!.status === 'fulfilled' ? 'ok' : 'unavailable']),
  ) as Record<Name, 'ok' | 'unavailable'>;
  const failures = names.flatMap((name, index) => {
    const outcome = outcomes[index]!;
    return outcome.status === 'rejected' ? [new DependencyCheckError(name, outcome.reason)] : [];
  });
  if (failures.length > 0) throw new NotReadyError(checks, { cause: new AggregateError(failures) });
  return checks as Record<Name, 'ok'>;
}

async function withDeadline(probe: DependencyProbe, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ProbeTimeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    await Promise.race([probe(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
