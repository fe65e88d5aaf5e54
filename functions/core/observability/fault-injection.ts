import type { MiddlewareObj } from '@middy/core';
import * as z from 'zod/mini';
import { envNames, readSettings, settings } from '../config/settings';
import { parseOrThrow } from '../schemas/validation';
import { ValidationError } from '../domain/errors';
import { mulberry32 } from '../seeded-random';

/**
 * Fault injection for offline and dev runs (docs/fault-injection.md). In AWS the same faults come from AWS FIS; this
 * module lets the offline system and the tests prove that the saga survives them. It costs nothing unless
 * FAULT_INJECTION is set: then `faultInjectionFromEnv()` returns undefined and no middleware is added.
 */

/** The target name of the payment provider adapter; every other target is a saga state name. */
export const paymentProviderTarget = 'payment-provider';

const modes = ['error', 'crash-after', 'delay', 'timeout'] as const;
export type FaultMode = (typeof modes)[number];

/**
 * The FAULT_INJECTION document's schema, built when a value is parsed: in AWS the variable is unset, and building it
 * at load would cost every saga task's cold start for nothing.
 */
function configSchema() {
  const rule = z.strictObject({
    /** An ASL state name (ReserveStock, MarkOrderFailed, ...) or `payment-provider`. */
    target: z
      .string()
      .check(
        z.regex(
          /^(?:[A-Z][A-Za-z0-9]*|payment-provider)$/,
          'expected a state name such as ReserveStock, or payment-provider',
        ),
      ),
    mode: z.enum(modes),
    /** Probability in [0, 1] that one invocation (or one provider request) gets the fault. */
    rate: z.number().check(z.gte(0), z.lte(1)),
    /** Added latency for `delay`; at most Lambda's 15-minute limit. */
    delayMs: z.optional(z.int().check(z.gte(1), z.lte(900_000))),
  });

  return z.strictObject({
    /** Makes the decisions reproducible: the n-th draw of each rule is the same on every run. */
    seed: z.optional(z.int()),
    rules: z.array(rule),
  });
}

export type FaultInjectionConfig = z.infer<ReturnType<typeof configSchema>>;
export type FaultRule = FaultInjectionConfig['rules'][number];

/**
 * Thrown by an injected task fault. It carries the name Lambda gives a service-side failure, so the state machine's
 * Retry lists (which name `Lambda.ServiceException` for every task) treat it exactly like the real thing.
 */
export class InjectedFaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Lambda.ServiceException';
  }
}

export interface FaultDecision {
  readonly target: string;
  readonly mode: FaultMode;
  /** For `delay`; 0 otherwise. */
  readonly delayMs: number;
}

/** Parses and validates the FAULT_INJECTION JSON; any mistake throws, so a bad experiment never runs silently. */
export function parseFaultInjectionConfig(raw: string): FaultInjectionConfig {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${envNames.faultInjection.config} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let config: FaultInjectionConfig;
  try {
    config = parseOrThrow(configSchema(), json, envNames.faultInjection.config);
  } catch (error) {
    const issues = error instanceof ValidationError ? error.issues : [];
    throw new Error(
      `${envNames.faultInjection.config} is invalid: ${issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')}`,
      { cause: error },
    );
  }
  config.rules.forEach((rule, index) => {
    const where = `${envNames.faultInjection.config} rules.${index}`;
    if (rule.mode === 'delay' && rule.delayMs === undefined) throw new Error(`${where}: mode delay needs delayMs`);
    if (rule.mode !== 'delay' && rule.delayMs !== undefined) throw new Error(`${where}: delayMs is only for delay`);
    // A task cannot "time out" on its own terms: Lambda timeouts are simulated with a delay past the state's limit.
    if (rule.mode === 'timeout' && rule.target !== paymentProviderTarget) {
      throw new Error(`${where}: mode timeout is only for ${paymentProviderTarget}; use delay for a task`);
    }
  });
  return config;
}

/** Lower-case letters and digits only, so `reserve-stock`, `ReserveStock` and CDK's generated names compare. */
function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function hash(text: string): number {
  let h = 2166136261;
  for (const char of text) h = Math.imul(h ^ char.charCodeAt(0), 16777619);
  return h >>> 0;
}

interface CompiledRule extends FaultRule {
  readonly key: string;
  readonly draw: () => number;
}

/**
 * Decides, per invocation or provider request, whether a fault fires. Every matching rule draws on every call (so a
 * rule's n-th draw does not depend on the others' outcomes) and the first one that fires wins.
 */
export class FaultInjector {
  private readonly taskRules: CompiledRule[];
  private readonly providerRules: CompiledRule[];
  private readonly rulesByFunction = new Map<string, CompiledRule[]>();

  constructor(readonly config: FaultInjectionConfig) {
    const compiled = config.rules.map((rule, index): CompiledRule => {
      const key = normalize(rule.target);
      // One seeded stream per rule keeps each rule's draws independent of traffic.
      const draw = config.seed === undefined ? Math.random : mulberry32(hash(`${config.seed}:${index}:${rule.target}`));
      return { ...rule, key, draw };
    });
    this.providerRules = compiled.filter((rule) => rule.target === paymentProviderTarget);
    this.taskRules = compiled.filter((rule) => rule.target !== paymentProviderTarget);
  }

  /**
   * The fault for one invocation of the function named `functionName`. Offline the name is the handler's file name
   * (`reserve-stock`); in AWS, CDK generates names that contain the construct id (`...SagaReserveStockFunction...`):
   * a rule matches when the normalized function name contains its normalized target.
   */
  forTask(functionName: string): FaultDecision | undefined {
    let rules = this.rulesByFunction.get(functionName);
    if (!rules) {
      const key = normalize(functionName);
      rules = this.taskRules.filter((rule) => key.includes(rule.key));
      this.rulesByFunction.set(functionName, rules);
    }
    return this.decide(rules);
  }

  /** The fault for one request to the payment provider (each attempt of a retried call draws again). */
  forPaymentProvider(): FaultDecision | undefined {
    return this.decide(this.providerRules);
  }

  private decide(rules: readonly CompiledRule[]): FaultDecision | undefined {
    let decision: FaultDecision | undefined;
    for (const rule of rules) {
      const fires = rule.draw() < rule.rate;
      if (fires && !decision) decision = { target: rule.target, mode: rule.mode, delayMs: rule.delayMs ?? 0 };
    }
    return decision;
  }
}

let cached: { readonly raw: string; readonly injector: FaultInjector | undefined } | undefined;

/**
 * The injector for this process, from FAULT_INJECTION, read at cold start (when a handler module builds its
 * handler). Unset or empty means none. One injector per distinct value, so handlers loaded together share the
 * rules' random streams, and a test that starts a runtime with other faults gets a fresh one.
 */
export function faultInjectionFromEnv(env?: NodeJS.ProcessEnv): FaultInjector | undefined {
  const raw = (env ? readSettings('faultInjection', env) : settings.faultInjection()).config?.trim() ?? '';
  if (cached?.raw === raw) return cached.injector;
  const injector = raw === '' ? undefined : new FaultInjector(parseFaultInjectionConfig(raw));
  cached = { raw, injector };
  return injector;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

/**
 * Middy middleware for saga tasks: `error` fails the invocation before the handler runs (the work never happens),
 * `crash-after` lets the handler do its work and then fails the invocation (an instance dying after its side
 * effects, which only idempotent steps survive), `delay` adds latency before the handler. Registered last, so it
 * runs innermost: logs and traces of the failed invocation still carry the request's context.
 */
export function faultInjectionMiddleware(
  injector: FaultInjector,
  onFault: (decision: FaultDecision, functionName: string) => void = () => undefined,
): MiddlewareObj {
  const crashAfter = new WeakSet<object>();
  return {
    name: 'fault-injection',
    before: async (request) => {
      const functionName = request.context?.functionName ?? '';
      const decision = injector.forTask(functionName);
      if (!decision) return;
      onFault(decision, functionName);
      if (decision.mode === 'delay') await sleep(decision.delayMs);
      else if (decision.mode === 'error') {
        throw new InjectedFaultError(`injected fault: ${decision.target} failed before doing its work`);
      } else crashAfter.add(request);
    },
    after: async (request) => {
      if (crashAfter.delete(request)) {
        throw new InjectedFaultError(`injected fault: ${request.context.functionName} crashed after doing its work`);
      }
    },
  };
}
