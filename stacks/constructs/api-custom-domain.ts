import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';

export type CustomDomainSettings = NonNullable<EnvironmentConfig['api']['customDomain']>;

export interface ApiCustomDomainProps {
  readonly settings: CustomDomainSettings;
  readonly api: apigateway.RestApi;
  /** Mapped as the base path too, so a URL differs from the stage URL only in its host. */
  readonly stageName: string;
}

/** Whether the RestApi turns off its `execute-api` endpoint: whenever a custom domain (and its mTLS) is the way in. */
export function executeApiEndpointDisabled(config: EnvironmentConfig): boolean {
  return config.api.customDomain !== undefined;
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

  constructor(scope: Construct, id: string, props: ApiCustomDomainProps) {
    super(scope, id);
    const { settings } = props;
    const truststore = settings.mtlsTruststoreUri ? parseS3Uri(settings.mtlsTruststoreUri) : undefined;
    this.mutualTls = truststore !== undefined;
    this.url = `https://${settings.domainName}/${props.stageName}/`;

    this.domainName = new apigateway.DomainName(this, 'Domain', {
      domainName: settings.domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', settings.certificateArn),
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

    if (settings.hostedZoneId) {
      // Only the zone id is configured: a fully qualified record name (trailing dot) needs no zone name.
      const zone = route53.HostedZone.fromHostedZoneId(this, 'Zone', settings.hostedZoneId);
      new route53.ARecord(this, 'Alias', {
        zone,
        recordName: `${settings.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(this.domainName)),
      });
    }
  }
}
