import { ExponentialBackoff, fullJitterGenerator, handleAll, retry, type Policy, type RetryPolicy } from 'cockatiel';

/**
 * How often and how long to wait. Retry n waits a random time in [0, min(maxDelayMs, initialDelayMs * 2^(n-1))):
 * exponential backoff with full jitter, so that callers that collided spread out instead of colliding again.
 */
export interface BackoffOptions {
  /** Calls in all, the first included. */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * A cockatiel retry policy with full-jitter exponential backoff. `handle` decides which failures (errors, or results
 * marked by `handleWhenResult`) are worth another call; by default every error is.
 */
export function backoffRetry(options: BackoffOptions, handle: Policy = handleAll): RetryPolicy {
  return retry(handle, {
    maxAttempts: Math.max(0, options.attempts - 1),
    backoff: new ExponentialBackoff({
      initialDelay: options.initialDelayMs,
      maxDelay: options.maxDelayMs,
      generator: fullJitterGenerator,
    }),
  });
}
