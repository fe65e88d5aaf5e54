import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * Tells which function caused an outgoing request, without touching handler code. The local runtime runs every
 * handler in this process: API handlers inside the gateway's HTTP request, saga tasks inside the saga runner (see
 * saga-probe.ts, which wraps them in `runAs`). Node's built-in HTTP diagnostics channels mark each request the
 * gateway serves with its route, and each outgoing request to a watched endpoint (the DynamoDB counting proxy) is
 * remembered by the SDK's per-call `amz-sdk-invocation-id` header with the function it came from, for the proxy to
 * look up (`takeOrigin`) when the request arrives there.
 */
const invocationIdHeader = 'amz-sdk-invocation-id';
const originsByInvocation = new Map<string, string>();

interface OriginStore {
  readonly origin: string;
}

const storage = new AsyncLocalStorage<OriginStore>();

export interface ServedRequest {
  readonly origin: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /**
   * CPU time the whole process spent while the request was served (process.cpuUsage, user + system): the handler's
   * own when calls do not overlap, plus the gateway's and the DynamoDB proxy's share of the work.
   */
  readonly cpuMs: number;
}

export interface TrafficOriginOptions {
  /** The port of the server whose requests are API calls (the local gateway). */
  readonly gatewayPort: () => number | undefined;
  /** Names a gateway request by method and path (e.g. the route id), undefined for requests that are not routes. */
  readonly routeOf: (method: string, path: string) => string | undefined;
  /** Outgoing requests to this port are remembered with their origin. */
  readonly taggedPort: () => number | undefined;
  readonly onServed?: (request: ServedRequest) => void;
}

let installed: TrafficOriginOptions | undefined;

/** Runs `work` with `origin` as the origin of every request it makes (saga tasks, scheduled jobs, bench clients). */
export function runAs<T>(origin: string, work: () => T): T {
  return storage.run({ origin }, work);
}

export function currentOrigin(): string | undefined {
  return storage.getStore()?.origin;
}

/** The origin of an SDK call that reached the watched endpoint, by its request headers (once per attempt). */
export function takeOrigin(headers: Readonly<Record<string, string | string[] | undefined>>): string {
  const invocationId = String(headers[invocationIdHeader] ?? '');
  const origin = originsByInvocation.get(invocationId);
  originsByInvocation.delete(invocationId);
  return origin ?? 'unattributed';
}

/** Installs the channel subscribers once per process; later calls replace the options. */
export function installTrafficOrigin(options: TrafficOriginOptions): void {
  const first = installed === undefined;
  installed = options;
  if (!first) return;
  const started = new WeakMap<IncomingMessage, { origin: string; startedAt: number; cpu: NodeJS.CpuUsage }>();

  subscribe('http.server.request.start', (message) => {
    const { request, server } = message as { request: IncomingMessage; server: Server };
    const options = installed;
    const address = server.address();
    if (!options || !address || typeof address !== 'object' || address.port !== options.gatewayPort()) return;
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const route = options.routeOf(request.method ?? 'GET', path);
    if (!route) return;
    const origin = `api:${route}`;
    started.set(request, { origin, startedAt: performance.now(), cpu: process.cpuUsage() });
    // Published synchronously before the server's 'request' event: everything the gateway does for this request,
    // the handler included, runs in this context.
    storage.enterWith({ origin });
  });

  subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const start = started.get(request);
    if (!start) return;
    started.delete(request);
    installed?.onServed?.({
      origin: start.origin,
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://localhost').pathname,
      status: response.statusCode,
      startedAt: start.startedAt,
      durationMs: performance.now() - start.startedAt,
      cpuMs: cpuMsSince(start.cpu),
    });
  });

  // Published when the request has been written (Node 20), still in the caller's async context, and before the
  // proxy can have read it: the proxy only sees it in a later turn of the event loop.
  subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    const port = installed?.taggedPort();
    if (port === undefined || !String(request.getHeader('host') ?? '').endsWith(`:${port}`)) return;
    const invocationId = request.getHeader(invocationIdHeader);
    if (invocationId !== undefined) originsByInvocation.set(String(invocationId), currentOrigin() ?? 'unattributed');
  });
}

/** CPU milliseconds (user + system) the process spent since `start` (a process.cpuUsage() reading). */
export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const spent = process.cpuUsage(start);
  return (spent.user + spent.system) / 1000;
}
