import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The offline stand-in for the one client hostname: Route 53 failover records (PRIMARY and SECONDARY, each with a
 * health check on its region's `/health/ready`), as a local HTTP endpoint that forwards every request to the region
 * Route 53 would answer with. Differences from DNS failover: docs/failover-drill.md.
 */

export interface FailoverTarget {
  /** A name for events and the `x-failover-target` header (the region: us-east-1). */
  readonly name: string;
  /** The region's API base URL (its gateway). */
  readonly url: string;
}

export interface FailoverRouterOptions {
  readonly primary: FailoverTarget;
  readonly secondary: FailoverTarget;
  /** Between two health checks of each target (Route 53: 10 or 30 s). */
  readonly intervalMs?: number;
  /** Consecutive failures that make a healthy target unhealthy, and successes that make it healthy again. */
  readonly failureThreshold?: number;
  /** A check without an answer (status and body) within this long fails (default 2 s; Route 53: 4 s to connect, then 2 + 2 s). */
  readonly timeoutMs?: number;
  /** The health check's path. */
  readonly healthPath?: string;
  /**
   * Route 53's string matching: the check passes only when the body's first 5,120 bytes contain this string.
   * Default `"role":"active"` (a standby region's /health/ready says `"role":"standby"`); '' checks the status only.
   */
  readonly searchString?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export interface FailoverEvent {
  /** Epoch ms. */
  readonly at: number;
  readonly from: string;
  readonly to: string;
  /** Why: which targets were healthy at that moment. */
  readonly reason: string;
}

export interface HealthEvent {
  readonly at: number;
  readonly target: string;
  readonly healthy: boolean;
}

export interface FailoverRouter {
  readonly url: string;
  /** The target requests go to now. */
  activeTarget(): FailoverTarget;
  /** Changes of the active target, oldest first (live). */
  readonly events: readonly FailoverEvent[];
  /** Health changes of each target, oldest first (live). */
  readonly healthEvents: readonly HealthEvent[];
  /** Whether a target's health check passes now (as Route 53 rates it: thresholds applied). */
  healthy(name: string): boolean;
  stop(): Promise<void>;
}

/** Route 53's rating of one target: healthy until `threshold` consecutive failures, then until as many successes. */
class HealthCheck {
  healthy = true;
  private streak = 0;

  constructor(
    readonly target: FailoverTarget,
    private readonly threshold: number,
  ) {}

  /** Records a check's outcome; true when the rating changed. */
  record(passed: boolean): boolean {
    if (passed === this.healthy) {
      this.streak = 0;
      return false;
    }
    this.streak += 1;
    if (this.streak < this.threshold) return false;
    this.healthy = passed;
    this.streak = 0;
    return true;
  }
}

const hopByHopHeaders = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/** Route 53 reads only this much of the body for the search string. */
const searchWindowBytes = 5120;

async function checkOnce(target: FailoverTarget, path: string, searchString: string, timeoutMs: number) {
  try {
    const response = await fetch(new URL(path, target.url), {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { 'user-agent': 'Amazon-Route53-Health-Check-Service (local failover router)' },
    });
    const body = Buffer.from(await response.arrayBuffer())
      .subarray(0, searchWindowBytes)
      .toString('utf8');
    // Route 53 passes 2xx and 3xx answers.
    return response.status >= 200 && response.status < 400 && body.includes(searchString);
  } catch {
    return false;
  }
}

export async function startFailoverRouter(options: FailoverRouterOptions): Promise<FailoverRouter> {
  const intervalMs = options.intervalMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 2000;
  const path = options.healthPath ?? '/health/ready';
  const searchString = options.searchString ?? '"role":"active"';
  const checks = [
    new HealthCheck(options.primary, options.failureThreshold ?? 3),
    new HealthCheck(options.secondary, options.failureThreshold ?? 3),
  ] as const;
  const events: FailoverEvent[] = [];
  const healthEvents: HealthEvent[] = [];

  // Route 53's failover answer: the primary while healthy, else a healthy secondary, else the primary again.
  const choose = (): FailoverTarget => {
    const [primary, secondary] = checks;
    if (primary.healthy || !secondary.healthy) return primary.target;
    return secondary.target;
  };
  let active = choose();
  const reevaluate = () => {
    const next = choose();
    if (next === active) return;
    const [primary, secondary] = checks;
    const reason =
      !primary.healthy && !secondary.healthy
        ? 'neither is healthy: the primary, as Route 53 answers then'
        : `${primary.target.name} ${primary.healthy ? 'healthy' : 'unhealthy'}, ${secondary.target.name} ${
            secondary.healthy ? 'healthy' : 'unhealthy'
          }`;
    events.push({ at: Date.now(), from: active.name, to: next.name, reason });
    active = next;
  };

  let stopping = false;
  const checkLoop = async (check: HealthCheck) => {
    while (!stopping) {
      const started = Date.now();
      const passed = await checkOnce(check.target, path, searchString, timeoutMs);
      if (stopping) return;
      if (check.record(passed)) {
        healthEvents.push({ at: Date.now(), target: check.target.name, healthy: check.healthy });
        reevaluate();
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
    }
  };
  const loops = checks.map((check) => checkLoop(check));

  const server = createServer((incoming, outgoing) => forward(incoming, outgoing, active));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    activeTarget: () => active,
    events,
    healthEvents,
    healthy: (name) => {
      const check = checks.find((candidate) => candidate.target.name === name);
      if (!check) throw new Error(`no target ${name}`);
      return check.healthy;
    },
    async stop() {
      stopping = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(loops);
    },
  };
}

/**
 * Forwards one request as it came (method, path and query, headers, body) and its answer as it came back (status,
 * headers, body), streaming both ways. A target that does not answer gets the client a 502 (a client resolving the
 * hostname to a dead region would see its connection fail instead).
 */
function forward(incoming: IncomingMessage, outgoing: ServerResponse, target: FailoverTarget) {
  const base = new URL(target.url);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined && !hopByHopHeaders.has(name)) headers[name] = value;
  }
  const upstream = httpRequest(
    {
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port,
      method: incoming.method,
      path: `${base.pathname.replace(/\/$/, '')}${incoming.url ?? '/'}`,
      headers,
    },
    (answer) => {
      const answerHeaders: Record<string, string | string[]> = { 'x-failover-target': target.name };
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !hopByHopHeaders.has(name)) answerHeaders[name] = value;
      }
      outgoing.writeHead(answer.statusCode ?? 502, answer.statusMessage, answerHeaders);
      answer.pipe(outgoing);
      answer.once('error', () => outgoing.destroy());
    },
  );
  upstream.once('error', () => {
    if (outgoing.headersSent) {
      outgoing.destroy();
      return;
    }
    outgoing.writeHead(502, {
      'content-type': 'application/problem+json',
      'x-failover-target': target.name,
    });
    outgoing.end(
      JSON.stringify({
        type: 'about:blank',
        title: 'Bad Gateway',
        status: 502,
        detail: `the region ${target.name} did not answer`,
      }),
    );
  });
  incoming.pipe(upstream);
}
