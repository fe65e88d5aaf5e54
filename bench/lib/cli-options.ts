/** The command line cannot run as given: the bench scripts print its message with their usage and exit 2. */
export class UsageError extends Error {}

/** A numeric option's value, or `fallback` when it is absent; a value `valid` refuses is a UsageError. */
function numeric(
  name: string,
  raw: string | undefined,
  fallback: number,
  valid: (value: number) => boolean,
  expected: string,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!valid(value)) throw new UsageError(`--${name} must be ${expected}, got "${raw}"`);
  return value;
}

export function numberOption(name: string, raw: string | undefined, fallback: number, min: number): number {
  return numeric(name, raw, fallback, (value) => Number.isFinite(value) && value >= min, `a number >= ${min}`);
}

/** An option that counts something (orders, seconds, processes): a whole number of at least 1. */
export function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  return numeric(name, raw, fallback, (value) => Number.isInteger(value) && value >= 1, 'a positive integer');
}

/**
 * Runs a bench script's main: a UsageError prints its message with the usage and exits 2 (a bare one, as from
 * `--help`, prints the usage and exits 0); any other error prints its message and exits 1.
 */
export function runBenchCommand(main: () => Promise<void>, usage: string): void {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message ? `${error.message}\n\n${usage}` : usage);
      process.exit(error.message ? 2 : 0);
    }
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
