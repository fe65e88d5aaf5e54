import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { environmentNames, type EnvironmentName } from '../../bin/environment-config';
import { projectRoot } from '../../stacks/constructs/order-function';
import { buildApp, type OrdersApp } from '../../stacks/orders-app';

export interface SynthesizedApp extends OrdersApp {
  readonly dataTemplate: Template;
  readonly serviceTemplate: Template;
  readonly replicaKeyTemplates: readonly Template[];
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
  const synthesized: SynthesizedApp = {
    ...orders,
    dataTemplate: Template.fromStack(orders.data),
    serviceTemplate: Template.fromStack(orders.service),
    replicaKeyTemplates: orders.replicaKeys.map((stack) => Template.fromStack(stack)),
  };
  cache.set(cacheKey, synthesized);
  return synthesized;
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
