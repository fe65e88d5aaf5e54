import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { settings } from '../config/settings';
import { customerEmailEvents, templateName, type CustomerEmailEvent } from '../email/email-templates';
import type { Mailer, TemplatedEmail } from '../domain/ports';
import { tracer } from '../observability/powertools';

export interface SesMailerOptions {
  readonly fromAddress: string;
  /** `orders-<env>-`: the environment's templates (stacks/constructs/customer-emails.ts). */
  readonly templatePrefix: string;
  /** Where SES publishes sends, deliveries, bounces and complaints; none when unset. */
  readonly configurationSetName?: string;
}

/**
 * Sends templated emails through SES v2 SendEmail with a stored template (offline: the local SES emulator, through
 * AWS_ENDPOINT_URL_SESV2). Only the template's name and its data travel: the message is rendered by SES.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: SesMailerOptions,
  ) {}

  async send(email: TemplatedEmail): Promise<string> {
    if (!(customerEmailEvents as readonly string[]).includes(email.template)) {
      throw new Error(`no email template for ${email.template}`);
    }
    const { MessageId } = await this.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.options.fromAddress,
        Destination: { ToAddresses: [email.to] },
        Content: {
          Template: {
            TemplateName: templateName(this.options.templatePrefix, email.template as CustomerEmailEvent),
            TemplateData: JSON.stringify(email.data),
          },
        },
        ...(this.options.configurationSetName ? { ConfigurationSetName: this.options.configurationSetName } : {}),
      }),
    );
    if (!MessageId) throw new Error('SES accepted the message without a message id');
    return MessageId;
  }
}

/** The mailer for this function's environment, built once per cold start. */
export function sesMailer(): SesMailer {
  const { fromAddress, templatePrefix, configurationSetName } = settings.email();
  return new SesMailer(tracer.captureAWSv3Client(new SESv2Client({})), {
    fromAddress,
    templatePrefix,
    ...(configurationSetName ? { configurationSetName } : {}),
  });
}
