import { readFile, stat } from 'node:fs/promises';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { CachedFeatureFlags, type FeatureFlags, type FlagSource } from '../config/feature-flags';
import { settings } from '../config/settings';
import { logger, tracer } from '../observability/powertools';

/**
 * AWS AppConfig through Powertools parameters, which keeps the configuration session and its poll token and, when
 * AppConfig answers "unchanged" (an empty body), returns the previous document. Caching is CachedFeatureFlags' job,
 * so Powertools' own cache is bypassed: every read here is one GetLatestConfiguration call.
 */
export class AppConfigFlagSource implements FlagSource {
  readonly description: string;

  constructor(
    private readonly provider: Pick<AppConfigProvider, 'get'>,
    private readonly profile: string,
    location: { application: string; environment: string },
  ) {
    this.description = `AppConfig ${location.application}/${location.environment}/${profile}`;
  }

  read(): Promise<unknown> {
    return this.provider.get(this.profile, { transform: 'json', forceFetch: true, maxAge: 0 });
  }
}

/**
 * The offline source: an AppConfig feature-flag document (`{ version: "1", flags, values }`) in a file, whose
 * `values` are what AppConfig would return. Every read compares the file's inode, size and mtime with the last
 * parse and parses again only when they changed, so an edit (or an atomic replace) shows at the next read.
 */
export class FileFlagSource implements FlagSource {
  readonly description: string;
  private fingerprint: string | undefined;
  private values: unknown;

  constructor(private readonly path: string) {
    this.description = `file ${path}`;
  }

  async read(): Promise<unknown> {
    const info = await stat(this.path);
    const fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (fingerprint !== this.fingerprint) {
      const document = JSON.parse(await readFile(this.path, 'utf8')) as unknown;
      if (document === null || typeof document !== 'object' || !('values' in document)) {
        throw new Error('not an AppConfig feature-flag document: it has no "values"');
      }
      this.values = document.values;
      this.fingerprint = fingerprint;
    }
    return this.values;
  }
}

/**
 * This function instance's flags, from the variables CDK (useFeatureFlags) or the local runtime set: the file
 * FEATURE_FLAGS_FILE names when it is set (offline), otherwise the AppConfig profile. Missing variables fail at
 * cold start, like every other runtime setting.
 */
export function featureFlags(): FeatureFlags {
  const { file, application, environment, profile, maxAgeSeconds } = settings.featureFlags();
  const maxAgeMs = maxAgeSeconds * 1000;
  const warn = (message: string, details: Record<string, unknown>) => logger.warn(message, details);
  if (file) return new CachedFeatureFlags(new FileFlagSource(file), { maxAgeMs, warn });
  // settings.featureFlags() has already failed, naming the variable, if one of the three is missing here.
  if (!application || !environment || !profile) throw new Error('the AppConfig feature flags profile is not named');
  const provider = new AppConfigProvider({
    application,
    environment,
    awsSdkV3Client: tracer.captureAWSv3Client(new AppConfigDataClient({})),
  });
  const source = new AppConfigFlagSource(provider, profile, {
    application,
    environment,
  });
  return new CachedFeatureFlags(source, { maxAgeMs, warn });
}
