import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { gatewayResponses } from '../../functions/api/gateway-responses';
import { routes, type RouteId } from '../../functions/api/routes';
import { constructId } from './construct-ids';
import { perStackInstanceName } from '../physical-names';
import { dataRemovalPolicy, logRetention } from '../retention';

export interface ApiFirewallProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  /** The REST API stage the web ACL protects. */
  readonly stage: apigateway.Stage;
}

/** The AWS managed rule groups of the web ACL, in evaluation order (the rate limit runs after the first). */
export const managedRuleGroups = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesAnonymousIpList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesSQLiRuleSet',
] as const;
export type ManagedRuleGroup = (typeof managedRuleGroups)[number];

/** The rate-based rule's name, as CloudWatch metrics and WAF logs show it. */
export const rateLimitRuleName = 'RateLimitPerIp';

/**
 * How long a client blocked by the per-IP rate limit should wait. WAF re-evaluates the rate about every ten seconds
 * over a sliding window, so a client that pauses for a minute is usually let through again.
 */
export const firewallRetryAfterSeconds = 60;

const rateLimitedBodyKey = 'rate-limited';

/**
 * A regional AWS WAF web ACL in front of the REST API stage: the Amazon IP reputation list, a rate limit per client
 * IP address (429 with Retry-After, in the API's problem shape), the anonymous-IP list (count or block, by config),
 * the core rule set, known bad inputs and SQL injection. Allowed requests are already in the stage's access log, so
 * the WAF log (CloudWatch Logs, `aws-waf-logs-...`) keeps only the requests a rule blocked or counted.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const { config, envName } = props;
    const { firewall } = config.api;
    const metricPrefix = `orders-${envName}`;
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${metricPrefix}-${name}`,
      // Sampled requests show which request a rule matched: the first thing to look at after a false positive.
      sampledRequestsEnabled: true,
    });
    // The group's own rule actions, or COUNT for every rule of it: a group in count mode only labels and logs.
    const managedRule = (
      name: ManagedRuleGroup,
      priority: number,
      countOnly = false,
    ): wafv2.CfnWebACL.RuleProperty => ({
      name: `AWS-${name}`,
      priority,
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      overrideAction: countOnly ? { count: {} } : { none: {} },
      visibilityConfig: visibility(name),
    });
    const throttled = gatewayResponses.throttled;
    const tooManyRequests: wafv2.CfnWebACL.RuleActionProperty = {
      block: {
        customResponse: {
          responseCode: throttled.status,
          customResponseBodyKey: rateLimitedBodyKey,
          responseHeaders: [
            { name: 'Retry-After', value: String(firewallRetryAfterSeconds) },
            { name: 'Access-Control-Allow-Origin', value: '*' },
            { name: 'Access-Control-Expose-Headers', value: 'Retry-After' },
          ],
        },
      },
    };
    const perCallerRules = Object.entries(config.api.perCallerLimits).map(
      ([routeId, limit], index): wafv2.CfnWebACL.RuleProperty => {
        const name = perCallerRuleName(routeId as RouteId);
        return {
          name,
          priority: managedRuleGroups.length + 1 + index,
          statement: { rateBasedStatement: perCallerStatement(routeId as RouteId, limit) },
          action: tooManyRequests,
          visibilityConfig: visibility(name),
        };
      },
    );

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `orders-${envName}-api`,
      // CloudFormation allows no parentheses in a web ACL description.
      description: `Orders API ${envName}: managed rule groups, a rate limit per client IP and per caller`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('web-acl'),
      customResponseBodies: {
        [rateLimitedBodyKey]: {
          contentType: 'APPLICATION_JSON',
          // The problem shape and code of the gateway's own 429, so clients handle both alike. WAF answers before
          // API Gateway sees the request, so there is no request id to put in.
          content: JSON.stringify({
            type: 'about:blank',
            title: throttled.title,
            status: throttled.status,
            code: throttled.code,
            detail: 'Too many requests from this address; retry after the number of seconds in Retry-After.',
          }),
        },
      },
      rules: [
        // Addresses Amazon threat intelligence knows for bots and reconnaissance: cheapest to drop first.
        managedRule('AWSManagedRulesAmazonIpReputationList', 0),
        {
          name: rateLimitRuleName,
          priority: 1,
          // Per source address: a regional API is reached directly, so the source IP is the client's. Usage plans
          // already throttle each API key; this catches floods that spread over keys or carry none.
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: firewall.ipRateLimit,
              evaluationWindowSec: firewall.ipRateWindowSeconds,
            },
          },
          action: tooManyRequests,
          visibilityConfig: visibility(rateLimitRuleName),
        },
        // VPN, Tor and hosting-provider addresses: partner backends run on hosting providers, so COUNT is the
        // default (labels and logs only) and BLOCK a deliberate choice per environment.
        managedRule('AWSManagedRulesAnonymousIpList', 2, firewall.anonymousIpAction === 'COUNT'),
        // OWASP-style checks (bad bots, LFI/RFI, XSS, SSRF, bodies over 8 KB: the largest valid bodies here, an order
        // of 25 lines or a product with a 2,000-character description, stay below that).
        managedRule('AWSManagedRulesCommonRuleSet', 3),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 4),
        // No SQL database behind the API, but probes for one are a reliable sign of a hostile client.
        managedRule('AWSManagedRulesSQLiRuleSet', 5),
        ...perCallerRules,
      ],
    });

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      // WAF delivers to CloudWatch Logs only into groups whose name starts with aws-waf-logs-.
      // The stack id keeps a group retained from a deleted stack from blocking the next one.
      logGroupName: perStackInstanceName(`aws-waf-logs-orders-${envName}`),
      retention: logRetention(config),
      removalPolicy: dataRemovalPolicy(config),
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group's ARN without the `:*` suffix that LogGroup.logGroupArn carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Bearer tokens and API keys are credentials: never written to a log.
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'x-api-key' } }],
      // Allowed requests are in the API access log already; keep what a rule blocked or counted.
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: ['BLOCK', 'COUNT', 'EXCLUDED_AS_COUNT'].map((action) => ({
              ActionCondition: { Action: action },
            })),
          },
        ],
      },
    });
    logging.node.addDependency(this.logGroup);

    new wafv2.CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}

/** `PerCallerPlaceOrder`: the name of a route's per-caller rule, as WAF metrics and logs show it. */
export function perCallerRuleName(routeId: RouteId): string {
  return `PerCaller${constructId(routeId)}`;
}

/**
 * A route's per-caller limit (`api.perCallerLimits`) as a rate-based statement. WAF cannot read a token's claims, so
 * the aggregation key is the bearer token itself: a token belongs to one caller (a signed-in shopper, a partner's app
 * client) and lives an hour, so one caller replaying requests is held back while every other token is still served.
 * Requests without the header are not counted (the authorizer refuses them anyway). Scoped down to the route's method
 * and path; the path is matched at its end, so it holds with or without the stage name in front (execute-api or a
 * custom domain).
 */
export function perCallerStatement(
  routeId: RouteId,
  limit: { readonly limit: number; readonly windowSeconds: number },
): wafv2.CfnWebACL.RateBasedStatementProperty {
  const route = routes[routeId];
  const pathPattern = `${route.path.replace(/\{[^}]+\}/g, '[^/]+')}$`;
  const none = [{ priority: 0, type: 'NONE' }];
  return {
    aggregateKeyType: 'CUSTOM_KEYS',
    customKeys: [{ header: { name: 'authorization', textTransformations: none } }],
    limit: limit.limit,
    evaluationWindowSec: limit.windowSeconds,
    scopeDownStatement: {
      andStatement: {
        statements: [
          {
            byteMatchStatement: {
              fieldToMatch: { method: {} },
              positionalConstraint: 'EXACTLY',
              searchString: route.method,
              textTransformations: none,
            },
          },
          {
            regexMatchStatement: {
              fieldToMatch: { uriPath: {} },
              regexString: pathPattern,
              textTransformations: none,
            },
          },
        ],
      },
    },
  };
}
