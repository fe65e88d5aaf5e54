import { envNames } from '../../functions/core/config/settings';
import { customerEmailEvents, emailTemplates } from '../../functions/core/email/email-templates';
import { asArray, describeEachEnvironment, policyStatements, resourcesOfType } from './synth-app';
import { defaultPolicyStatements, environmentOf, logicalIdOf } from './template-helpers';

/** The customer emails' SES resources and the one function allowed to send them. */
describeEachEnvironment('customer emails', (app, envName) => {
  const arn = (resource: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:ses:${app().config.primaryRegion}:`,
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  });

  it('deploys one SES template per customer email, from the definitions the local emulator renders', () => {
    const templates = Object.values(resourcesOfType(app().serviceTemplate, 'AWS::SES::Template')).map(
      (resource) => resource.Properties?.Template,
    );
    expect(templates).toHaveLength(customerEmailEvents.length);
    for (const event of customerEmailEvents) {
      const definition = emailTemplates[event];
      expect(templates).toContainEqual({
        TemplateName: `orders-${envName}-${definition.name}`,
        SubjectPart: definition.subject,
        HtmlPart: definition.html,
        TextPart: definition.text,
      });
    }
  });

  it('gives the consumer the sender, templates and configuration set, and ses:SendEmail on exactly those', () => {
    const consumer = app().service.eventConsumers.functions.get('customer-emails')!;
    const config = app().config.email;
    expect(environmentOf(app(), consumer)).toMatchObject({
      [envNames.email.fromAddress]: config.fromAddress,
      [envNames.email.templatePrefix]: `orders-${envName}-`,
      [envNames.email.configurationSetName]: {
        Ref: logicalIdOf(app(), app().service.eventConsumers.customerEmails.configurationSet),
      },
    });
    const sends = defaultPolicyStatements(app(), consumer.role).filter((statement) =>
      asArray(statement.Action).includes('ses:SendEmail'),
    );
    expect(sends).toHaveLength(1);
    expect(sends[0]!.Action).toBe('ses:SendEmail');
    const domain = config.fromAddress.split('@')[1];
    expect(asArray(sends[0]!.Resource)).toEqual([
      arn(`identity/${domain}`),
      expect.objectContaining({}),
      ...customerEmailEvents.map((event) => arn(`template/orders-${envName}-${emailTemplates[event].name}`)),
    ]);
    expect(JSON.stringify(sends[0]!.Resource)).toContain('configuration-set/');
    expect(JSON.stringify(sends[0]!.Resource)).not.toContain('*');
  });

  it('lets no other function send email', () => {
    const senders = policyStatements(app().serviceTemplate).filter(({ statement }) =>
      asArray(statement.Action).some((action) => action.startsWith('ses:')),
    );
    const consumer = app().service.eventConsumers.functions.get('customer-emails')!;
    const policyId = logicalIdOf(app(), consumer.role.node.findChild('DefaultPolicy'));
    expect(senders.map(({ policyId: id }) => id)).toEqual([policyId]);
  });
});
