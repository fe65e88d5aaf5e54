import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  customerEmailEvents,
  emailTemplates,
  renderTemplate,
  templateName,
  TemplateRenderingError,
  type EmailTemplate,
} from '../../functions/core/email/email-templates';
import { close, listen, readBody, sendJson } from './http-server';

/** A message the local SES accepted: what the customer would have received. */
export interface LocalEmail {
  readonly messageId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly template: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  readonly configurationSet?: string;
  readonly sentAt: string;
}

/** An SES v2 error as the REST-JSON protocol carries it: the status, `x-amzn-ErrorType` and a `message`. */
class SesError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * SES v2 offline: `POST /v2/email/outbound-emails` (SendEmail) with a stored template, the subset the customer-email
 * consumer uses (`FromEmailAddress`, `Destination.ToAddresses`, `Content.Template.TemplateName` + `TemplateData`,
 * `ConfigurationSetName`; answers `{ MessageId }`). The templates are the environment's, built from the same
 * definitions CDK deploys (functions/core/email/email-templates.ts) and rendered as SES renders `{{name}}`. The
 * handlers reach it through AWS_ENDPOINT_URL_SESV2. Accepted messages land in the mailbox (`GET /local/mail`).
 *
 * Stricter than SES on one point: template data that lacks a placeholder's value is refused with 400 here, where SES
 * accepts the request and drops the message later (a rendering failure event), so the mistake shows in tests.
 */
export class LocalSesMailbox {
  private readonly messages: LocalEmail[] = [];
  private readonly templates: ReadonlyMap<string, EmailTemplate>;
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (error instanceof SesError) return fail(response, error);
      if (!response.headersSent) fail(response, new SesError(500, 'InternalFailure', 'internal error'));
    });
  });
  url = '';

  constructor(templatePrefix: string) {
    this.templates = new Map(
      customerEmailEvents.map((event) => [templateName(templatePrefix, event), emailTemplates[event]]),
    );
  }

  async start(port = 0): Promise<void> {
    this.url = `http://127.0.0.1:${await listen(this.server, port)}`;
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  /** The messages sent, oldest first; only those to `to` (case-insensitive) when given. */
  mail(to?: string): LocalEmail[] {
    const wanted = to?.toLowerCase();
    return this.messages.filter((message) => !wanted || message.to.some((address) => address.toLowerCase() === wanted));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'POST' || path !== '/v2/email/outbound-emails') {
      throw new SesError(404, 'NotFoundException', `${request.method} ${path} is not emulated`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(request)) as Record<string, unknown>;
    } catch {
      throw new SesError(400, 'BadRequestException', 'the request body is not JSON');
    }
    const message = this.sendEmail(body);
    this.messages.push(message);
    sendJson(response, 200, { MessageId: message.messageId }, { 'x-amzn-requestid': randomUUID() });
  }

  private sendEmail(body: Record<string, unknown>): LocalEmail {
    const from = body.FromEmailAddress;
    if (typeof from !== 'string' || from === '') throw badRequest('FromEmailAddress is required');
    const to = (body.Destination as { ToAddresses?: unknown } | undefined)?.ToAddresses;
    if (!Array.isArray(to) || to.length === 0 || !to.every((address) => typeof address === 'string')) {
      throw badRequest('Destination.ToAddresses must list at least one address');
    }
    const template = (body.Content as { Template?: Record<string, unknown> } | undefined)?.Template;
    if (!template) throw badRequest('only Content.Template is emulated');
    const name = template.TemplateName;
    if (typeof name !== 'string') throw badRequest('Content.Template.TemplateName is required');
    const stored = this.templates.get(name);
    if (!stored) throw new SesError(404, 'NotFoundException', `Template ${name} does not exist`);
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(String(template.TemplateData ?? '{}')) as Record<string, unknown>;
    } catch {
      throw badRequest('Content.Template.TemplateData is not valid JSON');
    }
    let rendered: ReturnType<typeof renderTemplate>;
    try {
      rendered = renderTemplate(stored, data);
    } catch (error) {
      if (error instanceof TemplateRenderingError) throw badRequest(`Template ${name}: ${error.message}`);
      throw error;
    }
    return {
      messageId: `local-${randomUUID()}`,
      from,
      to: to as string[],
      template: name,
      ...rendered,
      ...(typeof body.ConfigurationSetName === 'string' ? { configurationSet: body.ConfigurationSetName } : {}),
      sentAt: new Date().toISOString(),
    };
  }
}

const badRequest = (message: string) => new SesError(400, 'BadRequestException', message);

function fail(response: ServerResponse, error: SesError) {
  sendJson(
    response,
    error.status,
    { message: error.message },
    {
      'x-amzn-errortype': error.type,
      'x-amzn-requestid': randomUUID(),
    },
  );
}
