import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, listen, readBody } from './http-server';

/**
 * The local gateway's API keys and usage plans, served over API Gateway's own REST protocol for the operations
 * partner onboarding calls through the official SDK: GetUsagePlans, CreateApiKey, GetApiKey, GetApiKeys,
 * UpdateApiKey (enable/disable), DeleteApiKey and CreateUsagePlanKey. The local gateway asks it which plan a key
 * belongs to, as API Gateway does before a method that requires a key: unknown, disabled or plan-less keys get 403.
 */
export interface LocalApiKey {
  readonly id: string;
  readonly name: string;
  readonly value: string;
  enabled: boolean;
  readonly createdAt: Date;
  /** The usage plan the key belongs to, by plan name (`customer-app`). */
  plan?: string;
}

class ApiGatewayError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalApiKeyRegistry {
  private readonly keys = new Map<string, LocalApiKey>();
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return;
      const failure =
        error instanceof ApiGatewayError ? error : new ApiGatewayError(500, 'InternalFailure', String(error));
      send(response, failure.status, { message: failure.message }, { 'x-amzn-errortype': failure.type });
    });
  });
  url = '';

  /**
   * @param plans the usage plans by name, each with the id and name API Gateway knows it by (`orders-dev-<plan>`)
   */
  constructor(private readonly plans: ReadonlyMap<string, { readonly id: string; readonly name: string }>) {}

  async start(port = 0): Promise<void> {
    this.url = `http://127.0.0.1:${await listen(this.server, port)}`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  /** The plan of an enabled key in a plan, by its value; undefined for anything API Gateway would refuse. */
  planOf(value: string): string | undefined {
    for (const key of this.keys.values()) if (key.value === value) return key.enabled ? key.plan : undefined;
    return undefined;
  }

  list(): readonly LocalApiKey[] {
    return [...this.keys.values()];
  }

  createKey(options: { name: string; value?: string; enabled?: boolean }): LocalApiKey {
    const value = options.value ?? randomBytes(30).toString('base64url').slice(0, 40);
    if (value.length < 20)
      throw new ApiGatewayError(400, 'BadRequestException', 'API key value must be at least 20 characters');
    if ([...this.keys.values()].some((key) => key.value === value)) {
      throw new ApiGatewayError(409, 'ConflictException', 'API key value already exists');
    }
    const key: LocalApiKey = {
      id: this.nextKeyId(options.name),
      name: options.name,
      value,
      enabled: options.enabled ?? false,
      createdAt: new Date(),
    };
    this.keys.set(key.id, key);
    return key;
  }

  /**
   * API Gateway's key ids are 10 random characters; here they derive from the key's name, so a dev partner's key
   * seeded again at the next start keeps the id its registry item (in the persisted table) names.
   */
  private nextKeyId(name: string): string {
    for (let attempt = 0; ; attempt++) {
      const id = createHash('sha256').update(`${name}#${attempt}`).digest('hex').slice(0, 10);
      if (!this.keys.has(id)) return id;
    }
  }

  addToPlan(keyId: string, planId: string): void {
    const key = this.keyOf(keyId);
    const plan = [...this.plans.entries()].find(([, candidate]) => candidate.id === planId);
    if (!plan) throw new ApiGatewayError(404, 'NotFoundException', 'Invalid Usage Plan ID specified');
    if (key.plan) throw new ApiGatewayError(409, 'ConflictException', 'Usage Plan already contains specified API key');
    key.plan = plan[0];
  }

  private keyOf(id: string): LocalApiKey {
    const key = this.keys.get(id);
    if (!key) throw new ApiGatewayError(404, 'NotFoundException', 'Invalid API Key identifier specified');
    return key;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const text = await readBody(request);
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const path = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'GET' && path.join('/') === 'usageplans') {
      return send(response, 200, {
        item: [...this.plans.values()].map((plan) => ({ id: plan.id, name: plan.name })),
      });
    }
    if (method === 'POST' && path.length === 3 && path[0] === 'usageplans' && path[2] === 'keys') {
      const keyId = String(body.keyId);
      this.addToPlan(keyId, path[1]!);
      const key = this.keyOf(keyId);
      return send(response, 201, { id: key.id, type: 'API_KEY', name: key.name, value: key.value });
    }
    if (method === 'POST' && path.join('/') === 'apikeys') {
      const key = this.createKey({
        name: String(body.name ?? ''),
        ...(typeof body.value === 'string' ? { value: body.value } : {}),
        enabled: body.enabled === true,
      });
      return send(response, 201, view(key, true));
    }
    if (method === 'GET' && path.join('/') === 'apikeys') {
      const name = url.searchParams.get('name');
      const withValues = url.searchParams.get('includeValues') === 'true';
      const keys = this.list().filter((key) => !name || key.name.startsWith(name));
      return send(response, 200, { item: keys.map((key) => view(key, withValues)) });
    }
    if (path.length === 2 && path[0] === 'apikeys') {
      const key = this.keyOf(path[1]!);
      if (method === 'GET') return send(response, 200, view(key, url.searchParams.get('includeValue') === 'true'));
      if (method === 'DELETE') {
        this.keys.delete(key.id);
        return send(response, 202, {});
      }
      if (method === 'PATCH') {
        for (const operation of (body.patchOperations ?? []) as { op?: string; path?: string; value?: string }[]) {
          if (operation.op === 'replace' && operation.path === '/enabled') key.enabled = operation.value === 'true';
          else
            throw new ApiGatewayError(
              400,
              'BadRequestException',
              `unsupported patch ${operation.op} ${operation.path}`,
            );
        }
        return send(response, 200, view(key, false));
      }
    }
    throw new ApiGatewayError(404, 'NotFoundException', `${method} ${url.pathname} is not emulated`);
  }
}

function view(key: LocalApiKey, withValue: boolean) {
  return {
    id: key.id,
    name: key.name,
    enabled: key.enabled,
    createdDate: key.createdAt.getTime() / 1000,
    lastUpdatedDate: key.createdAt.getTime() / 1000,
    stageKeys: [],
    ...(withValue ? { value: key.value } : {}),
  };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}
