/**
 * aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 22 has and Node 20 does not. The Lambda runtime
 * is Node 22; this keeps the offline runtime and the tests working on Node 20 as well.
 */
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

// The SDK warns on Node 20 that releases from 2027 need Node 22. The deployed functions run on Node 22; offline
// the warning would only repeat on every start, so it is silenced here (and nowhere in the deployed code).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Offline, tracing is off (the local runtime sets POWERTOOLS_TRACE_ENABLED=false: there is no X-Ray daemon), yet the
// X-Ray SDK the tracer imports starts its automatic mode on load: an async hook with destroy tracking on every
// promise of the process (cls-hooked), for a context nothing reads. Measured under the load test, that hook was
// about 8 % of the offline system's CPU time. Manual mode skips it; every tracer call is a no-op while tracing is
// off either way. The deployed functions trace, do not load this file, and keep the automatic mode.
if (process.env.POWERTOOLS_TRACE_ENABLED !== 'true') process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

export {};
