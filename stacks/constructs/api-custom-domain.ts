import { Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { routes } from '../../functions/api/routes';

export type CustomDomainSettings = NonNullable<EnvironmentConfig['api']['customDomain']>;

/** Whether a service stack serves the primary region or stands by in a replica region (stacks/orders-app.ts). */
export type RegionRole = 'primary' | 'standby';

export interface ApiCustomDomainProps {
  readonly settings: CustomDomainSettings;
  readonly api: apigateway.RestApi;
  /** Mapped as the base path too, so a URL differs from the stage URL only in its host. */
  readonly stageName: string;
  /** Which record of the failover pair this region's domain gets (with `settings.failover` only). */
  readonly role: RegionRole;
  /** The certificate for `settings.domainName` in this stack's region; the primary's is `settings.certificateArn`. */
  readonly certificateArn: string;
}

/**
 * What `/health/ready` answers only in the region that accepts writes (the region role kept in the table): the
 * failover health checks look for it, so traffic follows the promoted region, and an old primary that recovers as
 * standby does not take the traffic back by itself.
 */
export const activeRegionMarker = '"role":"active"';

/**
 * Whether the RestApi turns off its `execute-api` endpoint: whenever a custom domain (and its mTLS) is the only way
 * in. With failover it stays on, because the health checks must reach each region's own API, not the shared name
 * (and failover excludes mTLS); a standby without a failover domain has no other way in.
 */
export function executeApiEndpointDisabled(config: EnvironmentConfig, role: RegionRole): boolean {
  const domain = config.api.customDomain;
  return role === 'primary' && domain !== undefined && domain.failover === undefined;
}

/** `s3://bucket/some/key.pem` -> its bucket and key (the schema has checked the shape). */
export function parseS3Uri(uri: string): { readonly bucket: string; readonly key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an S3 URI: ${uri}`);
  return { bucket: match[1]!, key: match[2]! };
}

/**
 * The API under its own name: a REGIONAL API Gateway domain (TLS 1.2 at least) mapped to the stage, an alias record
 * in the hosted zone when one is given, and mutual TLS when a truststore is given. With mTLS, API Gateway refuses the
 * TLS handshake of any client without a certificate chaining to the truststore, before WAF, authorizer or handler
 * run; the Cognito token and API key are still required on top.
 */
export class ApiCustomDomain extends Construct {
  readonly domainName: apigateway.DomainName;
  readonly mutualTls: boolean;
  /** The stage's URL under the custom domain. */
  readonly url: string;
  /** With `settings.failover`: the Route 53 health check of this region's `/health/ready`. */
  readonly healthCheck?: route53.CfnHealthCheck;

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    const { settings } = props;
    const truststore = settings.mtlsTruststoreUri ? parseS3Uri(settings.mtlsTruststoreUri) : undefined;
    this.mutualTls = truststore !== undefined;
    this.url = `https://${settings.domainName}/${props.stageName}/`;

    this.domainName = new apigateway.DomainName(this, 'Domain', {
      domainName: settings.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      endpointType: apigateway.EndpointType.REGIONAL,
      securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
      ...(truststore
        ? {
            mtls: {
              bucket: s3.Bucket.fromBucketName(this, 'Truststore', truststore.bucket),
              key: truststore.key,
              ...(settings.mtlsTruststoreVersion ? { version: settings.mtlsTruststoreVersion } : {}),
            },
          }
        : {}),
    });
    this.domainName.addBasePathMapping(props.api, { basePath: props.stageName, stage: props.api.deploymentStage });

    if (settings.hostedZoneId && settings.failover) {
      this.healthCheck = this.addFailoverRecord(settings.hostedZoneId, settings.failover, props);
    } else if (settings.hostedZoneId) {
      // Only the zone id is configured: a fully qualified record name (trailing dot) needs no zone name.
      const zone = route53.HostedZone.fromHostedZoneId(this, 'Zone', settings.hostedZoneId);
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: `${settings.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(this.domainName)),
      });
    }
  }

  /**
   * One of the pair of failover alias records under the shared name (PRIMARY in the primary region's stack,
   * SECONDARY in the standby's), with a health check on this region's own `/health/ready` through its execute-api
   * endpoint: healthy only while that region answers 2xx with `"role":"active"`. Route 53 answers with the PRIMARY
   * while its check passes, else with the SECONDARY while its check passes (and with the PRIMARY when both fail).
   */
  private addFailoverRecord(
    hostedZoneId: string,
    failover: NonNullable<CustomDomainSettings['failover']>,
    props: ApiCustomDomainProps,
  ): route53.CfnHealthCheck {
    const stack = Stack.of(this);
    const healthCheck = new route53.CfnHealthCheck(this, 'HealthCheck', {
      healthCheckConfig: {
        type: 'HTTPS_STR_MATCH',
        fullyQualifiedDomainName: `${props.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`,
        port: 443,
        resourcePath: `/${props.stageName}${routes.healthReady.path}`,
        searchString: activeRegionMarker,
        requestInterval: failover.healthCheckIntervalSeconds,
        failureThreshold: failover.failureThreshold,
        enableSni: true,
      },
      healthCheckTags: [{ key: 'Name', value: `${props.settings.domainName} ${stack.region} ${props.role}` }],
    });
    new route53.CfnRecordSet(this, 'FailoverAlias', {
      hostedZoneId,
      name: `${props.settings.domainName}.`,
      type: 'A',
      setIdentifier: `${stack.region}-${props.role}`,
      failover: props.role === 'primary' ? 'PRIMARY' : 'SECONDARY',
      healthCheckId: healthCheck.attrHealthCheckId,
      aliasTarget: {
        dnsName: this.domainName.domainNameAliasDomainName,
        hostedZoneId: this.domainName.domainNameAliasHostedZoneId,
        // The health check decides; the alias target's own health (the API domain) says nothing about the role.
        evaluateTargetHealth: false,
      },
    });
    return healthCheck;
  }
}
