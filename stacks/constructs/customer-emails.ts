import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { emailIdentity, type EnvironmentConfig } from '../../bin/environment-config';
import { customerEmailEvents, emailTemplates, templateName } from '../../functions/core/email/email-templates';
import { envNames } from '../../functions/core/config/settings';
import type { OrderFunction } from './order-function';

export interface CustomerEmailsProps {
  readonly envName: string;
  readonly email: EnvironmentConfig['email'];
}

/**
 * The customer emails' SES resources (docs/customer-emails.md): one SES template per email, from the same
 * definitions the local emulator renders (functions/core/email/email-templates.ts), named `orders-<env>-<email>`
 * (SES names are per account and region), and the environment's configuration set (reputation metrics, so bounces
 * and complaints show per environment). The sender's identity is verified outside the stack (DNS records of the
 * domain): a stack cannot prove it owns a domain.
 */
export class CustomerEmails extends Construct {
  readonly templatePrefix: string;
  readonly configurationSet: ses.ConfigurationSet;
  private readonly templateArns: string[];
  private readonly identityArn: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: CustomerEmailsProps,
  ) {
    super(scope, id);
    this.templatePrefix = `orders-${props.envName}-`;
    const stack = Stack.of(this);
    this.templateArns = customerEmailEvents.map((event) => {
      const template = emailTemplates[event];
      const name = templateName(this.templatePrefix, event);
      new ses.CfnTemplate(
        this,
        `Template${template.name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())}`,
        {
          template: {
            templateName: name,
            subjectPart: template.subject,
            htmlPart: template.html,
            textPart: template.text,
          },
        },
      );
      return stack.formatArn({ service: 'ses', resource: 'template', resourceName: name });
    });
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: `orders-${props.envName}`,
      reputationMetrics: true,
      sendingEnabled: true,
    });
    this.identityArn = stack.formatArn({
      service: 'ses',
      resource: 'identity',
      resourceName: emailIdentity(props.email),
    });
  }

  /**
   * Sets EMAIL_* and grants ses:SendEmail on the sender's identity, the configuration set and the environment's
   * templates only (SES v2 SendEmail with a stored template is authorized against all three).
   */
  grantSend(fn: OrderFunction): void {
    fn.function.addEnvironment(envNames.email.fromAddress, this.props.email.fromAddress);
    fn.function.addEnvironment(envNames.email.templatePrefix, this.templatePrefix);
    fn.function.addEnvironment(envNames.email.configurationSetName, this.configurationSet.configurationSetName);
    const stack = Stack.of(this);
    const configurationSetArn = stack.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [this.identityArn, configurationSetArn, ...this.templateArns],
      }),
    );
  }
}
