import { envNames, readSettings, settings, SettingsError } from '../../functions/core/config/settings';

describe('settings', () => {
  it('names a missing required variable', () => {
    expect(() => readSettings('table', {})).toThrow('invalid environment: TABLE_NAME is not set');
    expect(() => readSettings('table', { TABLE_NAME: '  ' })).toThrow('TABLE_NAME is not set');
    try {
      readSettings('events', {});
      throw new Error('expected a SettingsError');
    } catch (error) {
      expect(error).toBeInstanceOf(SettingsError);
      expect((error as SettingsError).variables).toEqual(['EVENT_BUS_NAME']);
    }
  });

  it('applies the defaults to unset and blank variables', () => {
    expect(readSettings('reconciliation', {})).toEqual({
      graceSeconds: 120,
      paymentLookbackHours: 72,
      scanSegments: 4,
      confirmDelayMs: 2000,
    });
    expect(readSettings('risk', { RISK_MAX_ORDERS_PER_HOUR: '' })).toEqual({
      maxOrderAmount: { '*': 1_000_000 },
      maxOrdersPerHour: 20,
      maxPartnerOrdersPerHour: 5000,
      reviewDeadlineSeconds: 24 * 60 * 60,
    });
    expect(readSettings('stockHolds', {}).holdMinutes).toBe(15);
    expect(readSettings('idempotency', { IDEMPOTENCY_TABLE_NAME: 'keys' })).toEqual({
      tableName: 'keys',
      ttlSeconds: 86_400,
    });
    expect(readSettings('payment', { PAYMENT_API_URL: 'http://p', PAYMENT_API_KEY: 'k' })).toEqual({
      apiUrl: 'http://p',
      apiKey: 'k',
      timeoutMs: 3000,
    });
  });

  it('reads the values that are set', () => {
    const risk = {
      RISK_MAX_ORDER_AMOUNT: '{"EUR":500}',
      RISK_MAX_ORDERS_PER_HOUR: '3',
      RISK_MAX_PARTNER_ORDERS_PER_HOUR: '9',
      RISK_REVIEW_DEADLINE_SECONDS: '3600',
    };
    expect(readSettings('risk', risk)).toEqual({
      maxOrderAmount: { EUR: 500 },
      maxOrdersPerHour: 3,
      maxPartnerOrdersPerHour: 9,
      reviewDeadlineSeconds: 3600,
    });
    expect(readSettings('recovery', { RECOVERY_AFTER_SECONDS: '0' }).afterSeconds).toBe(0);
  });

  it('names a variable that is not an integer in range, with what was wrong', () => {
    expect(() => readSettings('stockHolds', { HOLD_MINUTES: 'soon' })).toThrow(
      'HOLD_MINUTES must be an integer >= 0, got "soon"',
    );
    expect(() => readSettings('stockHolds', { HOLD_MINUTES: '1.5' })).toThrow('HOLD_MINUTES');
    expect(() => readSettings('catalogCache', { CATALOG_CACHE_TTL_MS: '-1' })).toThrow('CATALOG_CACHE_TTL_MS');
    expect(() => readSettings('reconciliation', { RECONCILE_SCAN_SEGMENTS: '0' })).toThrow(
      'RECONCILE_SCAN_SEGMENTS must be an integer between 1 and 1000000',
    );
    expect(() => readSettings('risk', { RISK_MAX_ORDERS_PER_HOUR: '0' })).toThrow(
      'RISK_MAX_ORDERS_PER_HOUR must be an integer >= 1',
    );
    expect(() => readSettings('risk', { RISK_MAX_ORDER_AMOUNT: '{' })).toThrow('RISK_MAX_ORDER_AMOUNT');
    expect(() => readSettings('risk', { RISK_MAX_ORDER_AMOUNT: '{"EUR":-1}' })).toThrow('RISK_MAX_ORDER_AMOUNT');
  });

  it('reports every problem of a group at once', () => {
    expect(() =>
      readSettings('reconciliation', { RECONCILE_GRACE_SECONDS: 'x', RECONCILE_CONFIRM_DELAY_MS: 'y' }),
    ).toThrow(/RECONCILE_GRACE_SECONDS .*; RECONCILE_CONFIRM_DELAY_MS /);
  });

  it('asks for one of the payment key variables', () => {
    expect(() => readSettings('payment', { PAYMENT_API_URL: 'http://p' })).toThrow(
      'PAYMENT_API_KEY_SECRET_ARN (AWS) or PAYMENT_API_KEY (offline) is not set',
    );
    expect(readSettings('payment', { PAYMENT_API_URL: 'http://p', PAYMENT_API_KEY_SECRET_ARN: 'arn' })).toMatchObject({
      apiKeySecretArn: 'arn',
    });
  });

  it('needs the AppConfig names only when no flags file is set', () => {
    expect(readSettings('featureFlags', { FEATURE_FLAGS_FILE: 'flags.json' })).toEqual({
      file: 'flags.json',
      maxAgeSeconds: 30,
    });
    expect(() => readSettings('featureFlags', { FEATURE_FLAGS_APPLICATION: 'orders' })).toThrow(
      'FEATURE_FLAGS_ENVIRONMENT is not set (nor FEATURE_FLAGS_FILE); FEATURE_FLAGS_PROFILE is not set',
    );
  });

  it('parses only the groups asked for', () => {
    const saved = { ...process.env };
    try {
      for (const name of ['TABLE_NAME', 'EVENT_BUS_NAME', 'PAYMENT_API_URL']) delete process.env[name];
      process.env.TABLE_NAME = 'orders';
      // A function granted only the table does not fail over the event bus or the payment provider it never uses.
      expect(settings.table()).toEqual({ tableName: 'orders' });
      expect(() => settings.events()).toThrow('EVENT_BUS_NAME');
      // Parsed again when the environment changes (one offline process hosts runtimes one after another).
      process.env.TABLE_NAME = 'other';
      expect(settings.table().tableName).toBe('other');
      expect(settings.table()).toBe(settings.table());
    } finally {
      process.env = saved;
    }
  });

  it('gives every variable one name, in one group', () => {
    const names = Object.values(envNames).flatMap((group) => Object.values(group) as string[]);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
    expect(envNames.table.tableName).toBe('TABLE_NAME');
  });
});
