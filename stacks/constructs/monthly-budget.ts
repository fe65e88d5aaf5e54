import * as budgets from 'aws-cdk-lib/aws-budgets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';

export interface MonthlyBudgetProps {
  readonly envName: string;
  readonly settings: EnvironmentConfig['budget'];
  /** The ticket topic: overspending is a working-hours problem, not a page. */
  readonly topic: sns.ITopic;
}

/**
 * The environment's monthly cost budget, alerting the ticket topic when actual spend reaches one share of the limit
 * and when AWS forecasts the month to end above another. It covers the whole account: one account per environment is
 * the layout docs/deploy.md assumes; a shared account would filter on the cost-allocation tags instead, which only
 * works once they are activated in the Billing console.
 */
export function createMonthlyBudget(scope: Construct, props: MonthlyBudgetProps): budgets.CfnBudget {
  const { settings, topic } = props;
  const alert = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => ({
    notification: {
      notificationType,
      comparisonOperator: 'GREATER_THAN',
      threshold,
      thresholdType: 'PERCENTAGE',
    },
    subscribers: [{ subscriptionType: 'SNS', address: topic.topicArn }],
  });
  return new budgets.CfnBudget(scope, 'MonthlyBudget', {
    budget: {
      budgetName: `orders-${props.envName}-monthly`,
      budgetType: 'COST',
      timeUnit: 'MONTHLY',
      budgetLimit: { amount: settings.monthlyLimitUsd, unit: 'USD' },
    },
    notificationsWithSubscribers: [
      alert('ACTUAL', settings.actualThresholdPercent),
      alert('FORECASTED', settings.forecastedThresholdPercent),
    ],
  });
}
