import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppConfigProvider } from '@aws-lambda-powertools/parameters/appconfig';
import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { AppConfigFlagSource, FileFlagSource } from '../../functions/core/adapters/feature-flags';
import {
  CachedFeatureFlags,
  defaultFlags,
  featureFlagsDocument,
  flagNames,
  maxUnitsPerOrder,
  parseFlags,
  type FlagSource,
  type Flags,
} from '../../functions/core/config/feature-flags';
import { OrdersPausedError, TooManyItemsError } from '../../functions/core/domain/errors';
import type { Order } from '../../functions/core/domain/order';
import type { OrderStore } from '../../functions/core/domain/ports';
import { retryAfterSeconds, toProblem } from '../../functions/core/http/problem';
import { checkOrderIntake } from '../../functions/core/use-cases/orders/place-order';
import { checkRisk } from '../../functions/core/use-cases/saga/check-risk';
import { orderRequest } from '../helpers/fixtures';

const projectRoot = path.resolve(__dirname, '..', '..');

interface FlagDocument {
  version: string;
  flags: Record<
    string,
    { name: string; attributes?: Record<string, { constraints: { type: string; minimum?: number; maximum?: number } }> }
  >;
  values: Record<string, Record<string, unknown>>;
}

const checkedInDocument = () =>
  JSON.parse(fs.readFileSync(path.join(projectRoot, featureFlagsDocument), 'utf8')) as FlagDocument;

const flags = (changes: Partial<{ [K in keyof Flags]: Partial<Flags[K]> }>): Flags =>
  Object.fromEntries(flagNames.map((name) => [name, { ...defaultFlags[name], ...changes[name] }])) as unknown as Flags;

/** A source whose answers the test sets, counting reads. */
function scriptedSource(initial: unknown) {
  let next: () => unknown = () => initial;
  const state = { reads: 0 };
  const source: FlagSource = {
    description: 'scripted',
    read: async () => {
      state.reads++;
      return next();
    },
  };
  return {
    source,
    state,
    answer: (values: unknown) => (next = () => values),
    fail: (message: string) =>
      (next = () => {
        throw new Error(message);
      }),
  };
}

describe('the checked-in flags document', () => {
  it('is an AppConfig feature-flag document whose values are exactly the code defaults', () => {
    const document = checkedInDocument();
    expect(document.version).toBe('1');
    expect(Object.keys(document.flags).sort()).toEqual([...flagNames].sort());
    expect(Object.keys(document.values).sort()).toEqual([...flagNames].sort());
    for (const name of flagNames) expect(name).toMatch(/^[a-z][a-zA-Z\d_-]{0,63}$/);
    expect(parseFlags(document.values)).toEqual({ flags: defaultFlags, problems: [] });
  });

  it('declares the same limits AppConfig enforces as the code validates', () => {
    const { flags: definitions } = checkedInDocument();
    expect(definitions.maxItemsPerOrder?.attributes?.limit?.constraints).toMatchObject({
      type: 'number',
      minimum: 1,
      maximum: maxUnitsPerOrder,
    });
    expect(definitions.acceptingOrders?.attributes?.retryAfterSeconds?.constraints).toMatchObject({
      type: 'number',
      minimum: 1,
      maximum: 3600,
    });
    // Just past each limit, the code refuses what AppConfig would refuse.
    const values = checkedInDocument().values;
    expect(
      parseFlags({ ...values, maxItemsPerOrder: { enabled: true, limit: maxUnitsPerOrder + 1 } }).problems,
    ).toEqual([expect.stringMatching(/^maxItemsPerOrder\.limit: /)]);
    expect(parseFlags({ ...values, acceptingOrders: { enabled: false, retryAfterSeconds: 0 } }).problems).toEqual([
      expect.stringMatching(/^acceptingOrders\.retryAfterSeconds: /),
    ]);
  });
});

describe('parseFlags', () => {
  it.each([null, 'on', 42, ['riskCheck']])(
    'falls back to every default for a document that is no object (%p)',
    (values) => {
      expect(parseFlags(values)).toEqual({ flags: defaultFlags, problems: ['the flag values are not a JSON object'] });
    },
  );

  it('falls back to the default of each bad flag only, and names it', () => {
    const { flags: parsed, problems } = parseFlags({
      riskCheck: { enabled: 'no' },
      maxItemsPerOrder: { enabled: true, limit: 3 },
      acceptingOrders: { enabled: false, retryAfterSeconds: 2.5 },
    });
    expect(parsed).toEqual({
      riskCheck: defaultFlags.riskCheck,
      maxItemsPerOrder: { enabled: true, limit: 3 },
      acceptingOrders: defaultFlags.acceptingOrders,
    });
    expect(problems).toEqual([
      expect.stringMatching(/^acceptingOrders\.retryAfterSeconds: .*int/i),
      expect.stringMatching(/^riskCheck\.enabled: .*boolean/i),
    ]);
  });

  it('takes a missing flag as its default and ignores flags and attributes it does not know', () => {
    const { flags: parsed, problems } = parseFlags({
      riskCheck: { enabled: false, _updatedAt: '2025-01-01T00:00:00Z' },
      maxItemsPerOrder: { enabled: false, limit: 5 },
      newFlagNotYetInTheCode: { enabled: true },
    });
    expect(parsed).toEqual({
      riskCheck: { enabled: false },
      maxItemsPerOrder: { enabled: false, limit: 5 },
      acceptingOrders: defaultFlags.acceptingOrders,
    });
    expect(problems).toEqual([expect.stringMatching(/^acceptingOrders: /)]);
  });
});

describe('CachedFeatureFlags', () => {
  const riskOff = { ...checkedInDocument().values, riskCheck: { enabled: false } };

  it('serves the flags from memory for maxAge, then reads the source again', async () => {
    let now = 1_000;
    const scripted = scriptedSource(riskOff);
    const cached = new CachedFeatureFlags(scripted.source, { maxAgeMs: 30_000, now: () => now, warn: jest.fn() });
    expect((await cached.get()).riskCheck.enabled).toBe(false);
    scripted.answer(checkedInDocument().values);
    now += 29_999;
    expect((await cached.get()).riskCheck.enabled).toBe(false);
    expect(scripted.state.reads).toBe(1);
    now += 1;
    expect((await cached.get()).riskCheck.enabled).toBe(true);
    expect(scripted.state.reads).toBe(2);
  });

  it('reads the source on every get with maxAge 0 (offline, where the file source is cheap)', async () => {
    const scripted = scriptedSource(riskOff);
    const cached = new CachedFeatureFlags(scripted.source, { maxAgeMs: 0, now: () => 5, warn: jest.fn() });
    await cached.get();
    await cached.get();
    expect(scripted.state.reads).toBe(2);
  });

  it('answers a bad document with the defaults and a warning, without throwing', async () => {
    const warn = jest.fn();
    const scripted = scriptedSource({ riskCheck: { enabled: 'off' }, maxItemsPerOrder: 'ten' });
    const cached = new CachedFeatureFlags(scripted.source, { maxAgeMs: 1000, now: () => 0, warn });
    await expect(cached.get()).resolves.toEqual(defaultFlags);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![1]).toEqual({
      source: 'scripted',
      problems: [
        expect.stringMatching(/^acceptingOrders: /),
        expect.stringMatching(/^maxItemsPerOrder: /),
        expect.stringMatching(/^riskCheck\.enabled: /),
      ],
    });
  });

  it('keeps the last good flags while the source fails, asking it again only after maxAge', async () => {
    let now = 0;
    const warn = jest.fn();
    const scripted = scriptedSource(riskOff);
    const cached = new CachedFeatureFlags(scripted.source, { maxAgeMs: 10_000, now: () => now, warn });
    await cached.get();
    scripted.fail('AppConfig is unreachable');
    now = 10_000;
    expect((await cached.get()).riskCheck.enabled).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not be read'), {
      source: 'scripted',
      error: 'AppConfig is unreachable',
    });
    now = 19_999;
    await cached.get();
    expect(scripted.state.reads).toBe(2);
    now = 20_000;
    await cached.get();
    expect(scripted.state.reads).toBe(3);
  });

  it('falls back to the defaults when the very first read fails', async () => {
    const scripted = scriptedSource(undefined);
    scripted.fail('no such file');
    const cached = new CachedFeatureFlags(scripted.source, { maxAgeMs: 1000, now: () => 0, warn: jest.fn() });
    await expect(cached.get()).resolves.toEqual(defaultFlags);
  });

  it('lets concurrent callers share one read', async () => {
    const scripted = scriptedSource(riskOff);
    const cached = new CachedFeatureFlags(scripted.source, { maxAgeMs: 0, now: () => 0, warn: jest.fn() });
    const answers = await Promise.all([cached.get(), cached.get(), cached.get()]);
    expect(scripted.state.reads).toBe(1);
    expect(answers.map((answer) => answer.riskCheck.enabled)).toEqual([false, false, false]);
  });
});

describe('FileFlagSource', () => {
  let directory: string;
  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'flags-'));
  });
  afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

  const write = (file: string, values: unknown) => {
    // As editors save: a new file renamed over the old one, so a reader never sees half a document.
    const temporary = `${file}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify({ ...checkedInDocument(), values }));
    fs.renameSync(temporary, file);
  };

  it("returns the document's values and picks up a replaced file at the next read", async () => {
    const file = path.join(directory, 'flags.json');
    write(file, { riskCheck: { enabled: false } });
    const source = new FileFlagSource(file);
    await expect(source.read()).resolves.toEqual({ riskCheck: { enabled: false } });
    write(file, { riskCheck: { enabled: true } });
    await expect(source.read()).resolves.toEqual({ riskCheck: { enabled: true } });
  });

  it('parses again only when the file changed (inode, size, mtime), not on every read', async () => {
    const file = path.join(directory, 'flags.json');
    write(file, { riskCheck: { enabled: false } });
    const fixedTime = new Date('2025-01-01T00:00:00Z');
    fs.utimesSync(file, fixedTime, fixedTime);
    const source = new FileFlagSource(file);
    await source.read();
    // Rewritten in place with the same size and mtime: the source cannot tell, so it keeps what it parsed.
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"enabled":false', '"enabled":fals3'));
    fs.utimesSync(file, fixedTime, fixedTime);
    await expect(source.read()).resolves.toEqual({ riskCheck: { enabled: false } });
    // A new mtime is a change: now it parses, and fails on the broken JSON.
    fs.utimesSync(file, fixedTime, new Date('2025-01-01T00:00:01Z'));
    await expect(source.read()).rejects.toThrow(SyntaxError);
  });

  it('fails a read of a missing file, of invalid JSON and of a document without values', async () => {
    const file = path.join(directory, 'flags.json');
    await expect(new FileFlagSource(file).read()).rejects.toThrow(/ENOENT/);
    fs.writeFileSync(file, '{"values": {');
    await expect(new FileFlagSource(file).read()).rejects.toThrow(SyntaxError);
    fs.writeFileSync(file, JSON.stringify({ riskCheck: { enabled: false } }));
    await expect(new FileFlagSource(file).read()).rejects.toThrow('it has no "values"');
  });
});

describe('AppConfigFlagSource', () => {
  it('polls AppConfig on every read through one session, keeping the document while AppConfig says unchanged', async () => {
    const client = new AppConfigDataClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const document = new TextEncoder().encode(JSON.stringify({ riskCheck: { enabled: false } }));
    const sent: unknown[] = [];
    let poll = 0;
    jest.spyOn(client, 'send').mockImplementation(async (command: unknown) => {
      sent.push(command);
      if (command instanceof StartConfigurationSessionCommand) return { InitialConfigurationToken: 'token-0' };
      if (command instanceof GetLatestConfigurationCommand) {
        poll++;
        // The first poll returns the document; later ones an empty body: "unchanged since your token".
        return { NextPollConfigurationToken: `token-${poll}`, Configuration: poll === 1 ? document : new Uint8Array() };
      }
      throw new Error('unexpected command');
    });
    const provider = new AppConfigProvider({ application: 'app-id', environment: 'env-id', awsSdkV3Client: client });
    const source = new AppConfigFlagSource(provider, 'profile-id', { application: 'app-id', environment: 'env-id' });

    await expect(source.read()).resolves.toEqual({ riskCheck: { enabled: false } });
    await expect(source.read()).resolves.toEqual({ riskCheck: { enabled: false } });

    expect(sent.map((command) => (command as { constructor: { name: string } }).constructor.name)).toEqual([
      'StartConfigurationSessionCommand',
      'GetLatestConfigurationCommand',
      'GetLatestConfigurationCommand',
    ]);
    expect((sent[0] as StartConfigurationSessionCommand).input).toMatchObject({
      ApplicationIdentifier: 'app-id',
      EnvironmentIdentifier: 'env-id',
      ConfigurationProfileIdentifier: 'profile-id',
    });
    expect((sent[2] as GetLatestConfigurationCommand).input).toEqual({ ConfigurationToken: 'token-1' });
    expect(source.description).toBe('AppConfig app-id/env-id/profile-id');
  });
});

describe('the flags in the order path', () => {
  const order = (units: number[]) =>
    orderRequest({
      items: units.map((quantity, index) => ({ productId: `p${index}`, quantity })),
      paymentToken: 'pm_card_visa',
    });

  it('refuses an order with more units than maxItemsPerOrder allows, counting units across lines', () => {
    const limited = flags({ maxItemsPerOrder: { limit: 5 } });
    expect(() => checkOrderIntake(limited, order([2, 3]))).not.toThrow();
    expect(() => checkOrderIntake(limited, order([2, 2, 2]))).toThrow(TooManyItemsError);
    expect(() => checkOrderIntake(limited, order([2, 2, 2]))).toThrow('the order holds 6 items; at most 5');
    expect(() =>
      checkOrderIntake(flags({ maxItemsPerOrder: { enabled: false, limit: 1 } }), order([50])),
    ).not.toThrow();
  });

  it('refuses every order while acceptingOrders is off, with its Retry-After', () => {
    const paused = flags({ acceptingOrders: { enabled: false, retryAfterSeconds: 120 } });
    let caught: unknown;
    try {
      checkOrderIntake(paused, order([1]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(OrdersPausedError);
    expect(retryAfterSeconds(caught)).toBe(120);
    expect(toProblem(caught, 'request-1')).toMatchObject({ status: 503, code: 'ORDERS_PAUSED' });
  });

  it('maps a refused order to 422 TOO_MANY_ITEMS', () => {
    expect(toProblem(new TooManyItemsError('too many'), 'request-1')).toMatchObject({
      status: 422,
      code: 'TOO_MANY_ITEMS',
      detail: 'too many',
    });
  });

  it('approves a PENDING order without evaluating the rules when riskCheck is off', async () => {
    const pending: Order = {
      orderId: 'ord_1',
      customerId: 'c1',
      status: 'PENDING',
      items: [],
      total: { amount: 10_000_000, currency: 'EUR' },
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      version: 1,
    };
    const countRecentOrders = jest.fn(async () => 0);
    const orders = {
      get: async () => pending,
      countRecentOrders,
      recordRisk: async () => true,
    } as unknown as OrderStore;
    const limits = { maxOrderAmount: { '*': 100 }, maxOrdersPerHour: { customer: 1, partner: 1 } };
    await expect(checkRisk({ orders, limits, riskCheckEnabled: false }, 'ord_1')).resolves.toEqual({
      approved: true,
      evaluated: false,
    });
    expect(countRecentOrders).not.toHaveBeenCalled();
    await expect(checkRisk({ orders, limits, riskCheckEnabled: true }, 'ord_1')).rejects.toThrow('exceeds the limit');
  });
});
