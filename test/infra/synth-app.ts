import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CfnElement, NestedStack, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { environmentNames, type EnvironmentName } from '../../bin/environment-config';
import { projectRoot } from '../../stacks/constructs/order-function';
import { buildApp, type OrdersApp } from '../../stacks/orders-app';

export interface SynthesizedApp extends OrdersApp {
  readonly dataTemplate: Template;
  /**
   * The service as one template: the service stack with its nested stacks' resources merged in, each parameter and
   * output reference replaced by what it stands for. Assertions about what the service contains read this.
   */
  readonly serviceTemplate: Template;
  /** The service stack's own template, and each nested stack's, as CloudFormation deploys them. */
  readonly serviceStackTemplates: ReadonlyMap<string, Template>;
  readonly replicaKeyTemplates: readonly Template[];
  /** Per replica region: the standby service as one template (nested stacks folded in, like serviceTemplate). */
  readonly standbyTemplates: ReadonlyMap<string, Template>;
  /** Every deployed template of each standby service stack (parent and nested), by stack name or nested id. */
  readonly standbyStackTemplates: ReadonlyMap<string, Template>;
  /** Per replica region: the standby data stack's template. */
  readonly standbyDataTemplates: ReadonlyMap<string, Template>;
}

/** The context the CLI would pass: cdk.json's, optionally with changes. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return structuredClone(cdkJson.context);
}

export interface SynthOptions {
  /**
   * Run esbuild for every function. Off by default: bundles do not change templates apart from asset hashes, and
   * skipping them keeps each synth well under a second. One test file bundles for real.
   */
  readonly bundle?: boolean;
  /** Changes to the environment's config, merged over cdk.json's (one level deep). */
  readonly configOverrides?: Record<string, unknown>;
  /** Context keys as `-c key=value` passes them on the command line (`breakGlass`), set over cdk.json's. */
  readonly contextOverrides?: Record<string, unknown>;
}

const cache = new Map<string, SynthesizedApp>();
const outdirs: string[] = [];

// Each synth writes a cloud assembly (bundles included); remove them once the test file is done.
afterAll(() => {
  for (const outdir of outdirs.splice(0)) fs.rmSync(outdir, { recursive: true, force: true });
});

/** Builds and synthesizes the app for one environment as `cdk synth -c env=<name>` does; cached per test file. */
export function synthApp(envName: EnvironmentName, options: SynthOptions = {}): SynthesizedApp {
  const cacheKey = JSON.stringify([envName, options]);
  const cached = cache.get(cacheKey);
  if (cached) return cached;

  const context = cdkJsonContext();
  if (options.configOverrides) {
    const environments = context.environments as Record<string, Record<string, unknown>>;
    environments[envName] = { ...environments[envName], ...options.configOverrides };
  }
  Object.assign(context, options.contextOverrides);
  // The CLI's list of stacks to bundle (narrowed for `cdk deploy <stack>`): empty bundles none, assets stay stand-ins.
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `orders-${envName}-`));
  outdirs.push(outdir);
  const orders = buildApp({ envName, context, outdir });
  const serviceStackTemplates = new Map<string, Template>([
    [orders.service.stackName, Template.fromStack(orders.service)],
  ]);
  for (const nested of nestedStacksOf(orders.service)) {
    serviceStackTemplates.set(nested.node.id, Template.fromStack(nested));
  }
  const standbyStackTemplates = new Map<string, Template>();
  for (const standby of orders.standbys) {
    standbyStackTemplates.set(standby.stackName, Template.fromStack(standby));
    for (const nested of nestedStacksOf(standby)) {
      standbyStackTemplates.set(`${standby.stackName}/${nested.node.id}`, Template.fromStack(nested));
    }
  }
  const synthesized: SynthesizedApp = {
    ...orders,
    standbyTemplates: new Map(orders.standbys.map((stack) => [stack.region, flattenNestedStacks(stack)])),
    standbyStackTemplates,
    standbyDataTemplates: new Map(orders.standbyData.map((stack) => [stack.region, Template.fromStack(stack)])),
    dataTemplate: Template.fromStack(orders.data),
    serviceTemplate: flattenNestedStacks(orders.service),
    serviceStackTemplates,
    replicaKeyTemplates: orders.replicaKeys.map((stack) => Template.fromStack(stack)),
  };
  cache.set(cacheKey, synthesized);
  return synthesized;
}

function nestedStacksOf(parent: Stack): NestedStack[] {
  return parent.node
    .findAll()
    .filter((construct): construct is NestedStack => NestedStack.isNestedStack(construct))
    .filter((nested) => nested.nestedStackParent === parent);
}

type Json = unknown;

function mapJson(value: Json, replace: (node: Json) => Json | undefined): Json {
  const replaced = replace(value);
  if (replaced !== undefined) return replaced;
  if (Array.isArray(value)) return value.map((item) => mapJson(item, replace));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapJson(item, replace)]));
  }
  return value;
}

interface TemplateJson {
  Resources: Record<string, { Type: string; Properties?: Record<string, Json>; DependsOn?: string | string[] }>;
  Outputs?: Record<string, { Value: Json }>;
  Conditions?: Record<string, Json>;
}

/**
 * The parent stack's template with each nested stack's resources in it: a `Ref` to a nested stack's parameter becomes
 * the value the parent passes, and the parent's `Fn::GetAtt` of a nested stack's output becomes that output's value.
 */
function flattenNestedStacks(parent: Stack): Template {
  // A copy: toJSON hands out the assembly's own template object, which the stack templates above share.
  const merged = structuredClone(Template.fromStack(parent).toJSON()) as TemplateJson;
  for (const nested of nestedStacksOf(parent)) {
    const nestedId = parent.getLogicalId(nested.nestedStackResource as CfnElement);
    const nestedJson = Template.fromStack(nested).toJSON() as TemplateJson;
    const parameters = (merged.Resources[nestedId]?.Properties?.Parameters ?? {}) as Record<string, Json>;
    const resolvedNested = mapJson(nestedJson, (node) => {
      const ref = (node as { Ref?: unknown } | null)?.Ref;
      return typeof ref === 'string' && ref in parameters ? parameters[ref] : undefined;
    }) as TemplateJson;
    // What the nested stack waits for, each of its resources waits for.
    const stackDependsOn = [merged.Resources[nestedId]?.DependsOn ?? []].flat();
    if (stackDependsOn.length > 0) {
      for (const resource of Object.values(resolvedNested.Resources)) {
        resource.DependsOn = [...new Set([...[resource.DependsOn ?? []].flat(), ...stackDependsOn])];
      }
    }
    delete merged.Resources[nestedId];
    const withOutputs = mapJson(merged, (node) => {
      const getAtt = (node as { 'Fn::GetAtt'?: unknown } | null)?.['Fn::GetAtt'];
      if (!Array.isArray(getAtt) || getAtt[0] !== nestedId) return undefined;
      const output = String(getAtt[1]).replace(/^Outputs\./, '');
      const value = resolvedNested.Outputs?.[output]?.Value;
      if (value === undefined) throw new Error(`no output ${output} in ${nested.node.path}`);
      return value;
    }) as TemplateJson;
    for (const resource of Object.values(withOutputs.Resources)) {
      if (resource.DependsOn === undefined) continue;
      const dependsOn = [resource.DependsOn].flat().filter((id) => id !== nestedId);
      if (dependsOn.length === 0) delete resource.DependsOn;
      else resource.DependsOn = dependsOn;
    }
    for (const id of Object.keys(resolvedNested.Resources)) {
      if (id in withOutputs.Resources) throw new Error(`${id} is in ${parent.stackName} and ${nested.node.path}`);
    }
    Object.assign(withOutputs.Resources, resolvedNested.Resources);
    if (resolvedNested.Conditions) withOutputs.Conditions = { ...withOutputs.Conditions, ...resolvedNested.Conditions };
    Object.assign(merged, withOutputs);
  }
  return Template.fromJSON(merged as unknown as Record<string, unknown>);
}

export const allEnvironments: readonly EnvironmentName[] = environmentNames;

/**
 * A describe block per environment (titled `<title> (<env>)`) whose tests share that environment's app. The body gets
 * a getter, not the app: describe bodies run while jest collects the tests, before the beforeAll that synthesizes.
 */
export function describeEachEnvironment(
  title: string,
  body: (app: () => SynthesizedApp, envName: EnvironmentName) => void,
): void {
  describe.each(allEnvironments)(`${title} (%s)`, (envName) => {
    beforeAll(() => {
      synthApp(envName);
    });
    body(() => synthApp(envName), envName);
  });
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;

/** Every resource of a type, by logical id. */
export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every inline policy and AWS::IAM::Policy in the template. */
export function policyStatements(
  template: Template,
): { readonly policyId: string; readonly statement: PolicyStatementJson }[] {
  const statements: { policyId: string; statement: PolicyStatementJson }[] = [];
  for (const [policyId, policy] of Object.entries(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    const document = policy.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] };
    for (const statement of document.Statement) statements.push({ policyId, statement });
  }
  for (const [roleId, role] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
    const inline = (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: PolicyStatementJson[] } }[];
    for (const policy of inline) {
      for (const statement of policy.PolicyDocument.Statement) statements.push({ policyId: roleId, statement });
    }
  }
  return statements;
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

// cdk-nag 3 reports through CDK's policy-validation plugin API, not through annotations: findings never show up in
// Annotations, so the checks below run the pack itself over the construct tree (what `cdk synth` runs).
export function nagFindings(scope: IConstruct, options: { ignoreAcknowledgements?: boolean } = {}) {
  const pack = new AwsSolutionsChecks();
  if (options.ignoreAcknowledgements) Object.assign(pack, { isAcknowledged: () => false });
  return pack.validateScope(scope).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      severity: violation.severity,
      path: resource.constructPath ?? '',
    })),
  );
}

export function nagAcknowledgements(scope: IConstruct): { path: string; rule: string; reason: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([rule, reason]) => ({
          path: construct.node.path,
          rule: rule.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}
