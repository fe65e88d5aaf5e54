import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { OrderFunction } from '../../stacks/constructs/order-function';
import { policyStatements, resourcesOfType, type PolicyStatementJson, type SynthesizedApp } from './synth-app';

/**
 * Lookups into the synthesized service stack that several infra test files make: from a construct of the stack to
 * its resource in the template (logical ids, function environments, default policies, API methods).
 */

export type Properties = Record<string, unknown>;
export type GetAtt = { 'Fn::GetAtt': [string, string] };

/** The logical id in the service stack's template of the construct's CloudFormation resource (its default child). */
export function logicalIdOf(app: SynthesizedApp, construct: IConstruct): string {
  return app.service.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** A resource of the service stack's template, failing the test (with type and id) when there is none. */
export function serviceResource(app: SynthesizedApp, type: string, id: string) {
  const found = resourcesOfType(app.serviceTemplate, type)[id];
  expect({ type, id, found: found !== undefined }).toEqual({ type, id, found: true });
  return found!;
}

/** Every route, saga task and job function, by route id, saga placeholder or job name. */
export function allFunctions(app: SynthesizedApp): [string, OrderFunction][] {
  return [...app.service.routeFunctions, ...app.service.sagaFunctions, ...app.service.jobFunctions];
}

/** The environment variables the function is deployed with. */
export function environmentOf(app: SynthesizedApp, fn: OrderFunction): Record<string, unknown> {
  const properties = serviceResource(app, 'AWS::Lambda::Function', logicalIdOf(app, fn.function)).Properties;
  return (properties?.Environment as { Variables: Record<string, unknown> }).Variables;
}

/**
 * Every statement of the default policy of a role (what CDK's grants add to), none when it has no such policy. A
 * default policy past IAM's inline size limit is split by CDK into managed `OverflowPolicy<n>` policies attached to
 * the same role: their statements are the default policy's too.
 */
export function defaultPolicyStatements(app: SynthesizedApp, role: IConstruct): PolicyStatementJson[] {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!policy) return [];
  const policyId = logicalIdOf(app, policy);
  const overflowIds = new Set(
    role.node.children
      .filter((child) => /^OverflowPolicy\d+$/.test(child.node.id))
      .map((child) => logicalIdOf(app, child)),
  );
  const managed = resourcesOfType(app.serviceTemplate, 'AWS::IAM::ManagedPolicy');
  return [
    ...policyStatements(app.serviceTemplate)
      .filter((entry) => entry.policyId === policyId)
      .map(({ statement }) => statement),
    ...[...overflowIds].flatMap(
      (id) => (managed[id]?.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement,
    ),
  ];
}

type ResourceRef = { Ref: string } | GetAtt;

/** `GET /orders/{orderId}` -> the method's properties, rebuilt from the Resource tree of the synthesized API. */
export function methodsByRoute(app: SynthesizedApp): Map<string, Properties> {
  const resources = resourcesOfType(app.serviceTemplate, 'AWS::ApiGateway::Resource');
  const pathOf = (ref: ResourceRef): string => {
    if ('Fn::GetAtt' in ref) return ''; // the RestApi's root resource
    const properties = resources[ref.Ref]?.Properties;
    if (!properties) throw new Error(`unknown API resource ${ref.Ref}`);
    return `${pathOf(properties.ParentId as ResourceRef)}/${properties.PathPart as string}`;
  };
  const methods = new Map<string, Properties>();
  for (const method of Object.values(resourcesOfType(app.serviceTemplate, 'AWS::ApiGateway::Method'))) {
    const properties = method.Properties ?? {};
    methods.set(
      `${properties.HttpMethod as string} ${pathOf(properties.ResourceId as ResourceRef) || '/'}`,
      properties,
    );
  }
  return methods;
}
