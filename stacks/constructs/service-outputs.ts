import type { Stack } from 'aws-cdk-lib';
import { CfnOutput } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { ApiCustomDomain } from './api-custom-domain';
import type { ChaosExperiments } from './chaos-experiments';
import { outputId } from './construct-ids';
import type { OperationsDashboard } from './operations-dashboard';
import type { OperatorAlarms } from './operator-alarms';
import type { OrderWorkflows } from './order-workflows';
import type { Releases } from './releases';

export interface ServiceOutputsProps {
  readonly api: apigateway.RestApi;
  readonly customDomain?: ApiCustomDomain;
  readonly workflows: OrderWorkflows;
  readonly eventBus: events.IEventBus;
  readonly attentionQueue: sqs.IQueue;
  readonly alarms: OperatorAlarms;
  readonly dashboard: OperationsDashboard;
  readonly releases: Releases;
  readonly chaos?: ChaosExperiments;
}

/** What operators and the local tools read after a deploy: URLs, names and ids of the service stack. */
export function addServiceOutputs(stack: Stack, props: ServiceOutputsProps): void {
  new CfnOutput(stack, 'ApiUrl', { value: props.api.url });
  if (props.customDomain) {
    new CfnOutput(stack, 'ApiCustomDomainUrl', { value: props.customDomain.url });
    new CfnOutput(stack, 'ApiCustomDomainTarget', {
      description: 'Regional domain name to point the custom domain at (alias or CNAME) when no hosted zone is set',
      value: props.customDomain.domainName.domainNameAliasDomainName,
    });
    if (props.customDomain.healthCheck) {
      new CfnOutput(stack, 'FailoverHostname', {
        description: 'The one hostname clients use: Route 53 answers with the region whose /health/ready says active',
        value: props.customDomain.domainName.domainName,
      });
      new CfnOutput(stack, 'HealthCheckId', {
        description: `Route 53 health check of this region's /health/ready (aws route53 get-health-check-status)`,
        value: props.customDomain.healthCheck.attrHealthCheckId,
      });
    }
  }
  for (const { definition } of props.workflows.definitions) {
    new CfnOutput(stack, outputId(definition.arnEnvName), {
      value: props.workflows.machineFor(definition).stateMachineArn,
    });
  }
  new CfnOutput(stack, 'EventBusName', { value: props.eventBus.eventBusName });
  new CfnOutput(stack, 'AttentionQueueUrl', { value: props.attentionQueue.queueUrl });
  new CfnOutput(stack, 'PageTopicArn', { value: props.alarms.topics.page.topicArn });
  new CfnOutput(stack, 'TicketTopicArn', { value: props.alarms.topics.ticket.topicArn });
  const region = stack.region;
  new CfnOutput(stack, 'DashboardUrl', {
    value: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${props.dashboard.dashboard.dashboardName}`,
  });
  new CfnOutput(stack, 'DeploymentApplication', {
    description: 'CodeDeploy application of the functions: aws deploy list-deployments --application-name <value>',
    value: props.releases.application.applicationName,
  });
  for (const [name, template] of props.chaos?.templates ?? []) {
    new CfnOutput(stack, `ChaosExperiment${name}`, {
      description: 'FIS experiment template id: aws fis start-experiment --experiment-template-id <value>',
      value: template.ref,
    });
  }
}
