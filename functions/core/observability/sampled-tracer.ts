import type middy from '@middy/core';
import { isRequestXRaySampled } from '@aws-lambda-powertools/commons/utils/env';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

/** An AWS SDK v3 client: the X-Ray SDK adds its middleware to the client's stack, which every call resolves anew. */
interface AwsSdkClient {
  readonly middlewareStack: unknown;
}

type TracerMiddlewareOptions = Parameters<typeof captureLambdaHandler>[1];
type TracerMiddleware = ReturnType<typeof captureLambdaHandler>;

/** POWERTOOLS_TRACE_ENABLED=false turns the Powertools tracer off: then there is no reason to load it at all. */
const tracingDisabled = () => process.env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase() === 'false';

/**
 * The Powertools tracer, loaded (with the X-Ray SDK it imports at its top level, about 120 KB of CommonJS with
 * cls-hooked and semver) only when an invocation that X-Ray samples arrives, instead of at every cold start.
 *
 * Why this is the same trace: Lambda's active tracing records the function's own segment without any SDK, and the AWS
 * SDK clients pass the invocation's trace header on by themselves (their recursion-detection middleware). What the
 * Powertools tracer adds is the `## handler` subsegment with its annotations and a subsegment per AWS call, and X-Ray
 * keeps those only for sampled invocations: for the others they are built and dropped. So an environment loads the
 * tracer at its first sampled invocation (in that invocation's middleware, before the handler runs), captures the
 * clients created so far, and from then on behaves exactly as the eagerly built tracer did. Offline there is no trace
 * header, so the tracer is never loaded, as it never traced there (Powertools disables itself outside Lambda).
 */
export class SampledTracer {
  #tracer: Tracer | undefined;
  #captureLambdaHandler: typeof captureLambdaHandler | undefined;
  #loading: Promise<Tracer> | undefined;
  #invocations = 0;
  readonly #clients: AwsSdkClient[] = [];

  /** Traces the client's calls once the tracer is loaded (at once if it is); returns the same client. */
  captureAWSv3Client<T extends AwsSdkClient>(client: T): T {
    if (this.#tracer) return this.#tracer.captureAWSv3Client(client);
    this.#clients.push(client);
    return client;
  }

  /** An annotation on the current invocation's trace; nothing when the invocation is not sampled. */
  putAnnotation(key: string, value: string | number | boolean): void {
    this.#tracer?.putAnnotation(key, value);
  }

  /** Whether the Powertools tracer has been loaded in this environment (for tests and the benchmark). */
  get loaded(): boolean {
    return this.#tracer !== undefined;
  }

  /**
   * The middy middleware that replaces Powertools' `captureLambdaHandler(tracer, options)`: it loads the tracer when
   * the invocation is sampled and, once the tracer is loaded, is that middleware.
   */
  middleware(options?: TracerMiddlewareOptions): middy.MiddlewareObj {
    let traced: TracerMiddleware | undefined;
    const tracedRequests = new WeakSet<object>();
    return {
      before: async (request) => {
        const firstInvocation = ++this.#invocations === 1;
        if (!this.#tracer && (!isRequestXRaySampled() || tracingDisabled())) return;
        const tracer = await this.#load(firstInvocation);
        traced ??= this.#captureLambdaHandler!(tracer, options);
        tracedRequests.add(request);
        return traced.before?.(request);
      },
      after: (request) => (tracedRequests.has(request) ? traced?.after?.(request) : undefined),
      onError: (request) => (tracedRequests.has(request) ? traced?.onError?.(request) : undefined),
    };
  }

  async #load(firstInvocation: boolean): Promise<Tracer> {
    this.#loading ??= Promise.all([
      import('@aws-lambda-powertools/tracer'),
      import('@aws-lambda-powertools/tracer/middleware'),
    ]).then(([{ Tracer }, { captureLambdaHandler }]) => {
      // The ColdStart annotation is true only on the environment's first invocation, whenever the tracer arrives
      // (getColdStart, which reads and clears the flag, is protected).
      const tracer = new (class extends Tracer {
        constructor() {
          super();
          if (!firstInvocation) this.getColdStart();
        }
      })();
      for (const client of this.#clients.splice(0)) tracer.captureAWSv3Client(client);
      this.#captureLambdaHandler = captureLambdaHandler;
      this.#tracer = tracer;
      return tracer;
    });
    return this.#loading;
  }
}
