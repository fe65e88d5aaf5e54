import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { maxLinesPerOrder, maxQuantityPerLine } from '../schemas/api-schemas';

// zod/mini ships no messages; a warning about a bad flag should say what is wrong with it.
z.config(en());

/**
 * Runtime feature flags: what they are, their safe defaults, and how they are validated and cached. Where they come
 * from is the adapters' business (functions/core/adapters/feature-flags.ts): an AWS AppConfig feature-flag profile
 * in AWS, a file offline. Both hold the same document, and FEATURE_FLAGS_DOCUMENT is its checked-in version: the
 * profile's initial version in AWS and the offline default.
 *
 * Reading flags never fails a request: a flag that is missing or malformed takes its safe default (the behaviour
 * without flags) and a warning names it; a source that cannot be read keeps the last good flags.
 */

/** The checked-in flags document, relative to the project root (CDK deploys it; the local runtime reads it). */
export const featureFlagsDocument = 'functions/core/config/feature-flags.json';

/** The API's own ceiling on units per order (lines × units per line); the maxItemsPerOrder flag can only lower it. */
export const maxUnitsPerOrder = maxLinesPerOrder * maxQuantityPerLine;

/** One schema per flag, shaped as AppConfig returns a flag's value: `enabled` plus the flag's attributes. */
const flagSchemas = {
  acceptingOrders: z.object({
    enabled: z.boolean(),
    retryAfterSeconds: z.int().check(z.gte(1), z.lte(3600)),
  }),
  maxItemsPerOrder: z.object({
    enabled: z.boolean(),
    limit: z.int().check(z.gte(1), z.lte(maxUnitsPerOrder)),
  }),
  riskCheck: z.object({ enabled: z.boolean() }),
};

export type FlagName = keyof typeof flagSchemas;
export type Flags = { readonly [K in FlagName]: Readonly<z.infer<(typeof flagSchemas)[K]>> };
export const flagNames = Object.keys(flagSchemas) as FlagName[];

/**
 * What every flag falls back to: the system as it behaves without flags. They equal the `values` of the checked-in
 * document (a unit test holds the two together).
 */
export const defaultFlags: Flags = {
  acceptingOrders: { enabled: true, retryAfterSeconds: 60 },
  maxItemsPerOrder: { enabled: true, limit: maxUnitsPerOrder },
  riskCheck: { enabled: true },
};

/** The port handlers and use cases read flags through. */
export interface FeatureFlags {
  get(): Promise<Flags>;
}

/** Where flag values come from: what AppConfig's GetLatestConfiguration returns for a feature-flag profile. */
export interface FlagSource {
  /** For warnings: which source a problem came from. */
  readonly description: string;
  read(): Promise<unknown>;
}

/**
 * Validates flag values one flag at a time: a bad flag falls back to its default without taking the others with it.
 * Unknown flags (say, one added in AppConfig before the code that reads it) are ignored.
 */
export function parseFlags(values: unknown): { flags: Flags; problems: string[] } {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    return { flags: defaultFlags, problems: ['the flag values are not a JSON object'] };
  }
  const record = values as Record<string, unknown>;
  const problems: string[] = [];
  const flags: Record<string, unknown> = {};
  for (const name of flagNames) {
    const result = flagSchemas[name].safeParse(record[name]);
    if (result.success) {
      flags[name] = result.data;
      continue;
    }
    flags[name] = defaultFlags[name];
    problems.push(...result.error.issues.map((issue) => `${[name, ...issue.path].join('.')}: ${issue.message}`));
  }
  return { flags: flags as Flags, problems };
}

export type FlagWarning = (message: string, details: Record<string, unknown>) => void;

export interface CachedFeatureFlagsOptions {
  /** How long validated flags are served from memory before the source is read again; 0 reads it on every get. */
  readonly maxAgeMs: number;
  /** Where warnings go (the Powertools logger in handlers). */
  readonly warn: FlagWarning;
  readonly now?: () => number;
}

/**
 * Reads the source at most once per `maxAgeMs` and never throws: invalid flags become their defaults, a failed read
 * keeps the last good flags (the defaults before any). A failure is cached like a success, so a broken source is
 * asked again after maxAge, not on every request.
 */
export class CachedFeatureFlags implements FeatureFlags {
  private current: Flags = defaultFlags;
  private expiresAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<Flags> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly source: FlagSource,
    private readonly options: CachedFeatureFlagsOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get(): Promise<Flags> {
    if (this.now() < this.expiresAt) return Promise.resolve(this.current);
    // Concurrent callers (offline, many invocations share one process) wait for one read instead of each starting one.
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refresh(): Promise<Flags> {
    try {
      const { flags, problems } = parseFlags(await this.source.read());
      if (problems.length > 0) {
        this.options.warn('invalid feature flags: the flags named fall back to their defaults', {
          source: this.source.description,
          problems,
        });
      }
      this.current = flags;
    } catch (error) {
      this.options.warn('feature flags could not be read: the last good flags stay in force', {
        source: this.source.description,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.expiresAt = this.now() + this.options.maxAgeMs;
    return this.current;
  }
}
