import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { envNames } from '../../functions/core/config/settings';
import type { ProbeKind } from '../../functions/hooks/release-checks';
import { releaseGroupName, type ReleaseHooks as Hooks } from './function-release';
import { OrderFunction } from './order-function';

export interface ReleaseHooksProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
  /** The CodeDeploy application's name as written (not a Ref): the hooks report to its deployment groups only. */
  readonly applicationName: string;
  /** The functions released through CodeDeploy, by the kind of synthetic request their new versions get. */
  readonly functions: ReadonlyMap<ProbeKind, readonly OrderFunction[]>;
  /** Read after every deployment. */
  readonly sloAlarms: readonly cloudwatch.IAlarm[];
  /** Read after the deployments of `businessFunctions` only: promotion on the order path waits for it. */
  readonly businessAlarm: cloudwatch.IAlarm;
  readonly businessFunctions: readonly OrderFunction[];
  /** `cdk deploy -c breakGlass=<reason>`: the post-traffic check lets the release stand whatever it reads. */
  readonly breakGlass?: string;
}

/**
 * The CodeDeploy lifecycle hooks (functions/hooks/): a pre-traffic hook per kind of function, which invokes the new
 * version with that kind's synthetic request, and one post-traffic hook, which reads the alarms. AWS only: the
 * offline runtime has no CodeDeploy and never loads them.
 *
 * Least privilege: a pre-traffic hook may invoke the versions this deploy ships (each a Version resource's ARN, so
 * not the previous version nor $LATEST), and every hook may read its deployments and report their status on the
 * application's deployment groups only. Those ARNs are built from names, not the groups' Refs: a group depends on
 * its CodeDeploy role, which may invoke the hooks, so a Ref back to a group would close a cycle.
 */
export class ReleaseHooks extends Construct {
  readonly preTraffic: ReadonlyMap<ProbeKind, OrderFunction>;
  readonly postTraffic: OrderFunction;

  constructor(scope: Construct, id: string, props: ReleaseHooksProps) {
    super(scope, id);
    const { config } = props;
    const groupArn = (fn: OrderFunction) =>
      Stack.of(this).formatArn({
        service: 'codedeploy',
        resource: 'deploymentgroup',
        resourceName: `${props.applicationName}/${releaseGroupName(fn)}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const hook = (hookId: string, handlerModule: string, functions: readonly OrderFunction[], scope: Construct) => {
      const fn = new OrderFunction(scope, hookId, {
        handlerModule,
        config,
        serviceName: 'orders-releases',
        description: `CodeDeploy hook (${hookId}) of orders-${props.envName}`,
        // A probe waits for the new version's cold start and answer (its own timeout at most).
        timeout: Duration.minutes(1),
        memorySize: 256,
      });
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['codedeploy:GetDeployment', 'codedeploy:PutLifecycleEventHookExecutionStatus'],
          resources: functions.map(groupArn),
        }),
      );
      return fn;
    };

    const preTraffic = new Map<ProbeKind, OrderFunction>();
    // Nested stacks of their own for the functions it probes: the hook's grants name their versions, and the
    // functions' aliases wait for the hook, so hook and functions must share a template (or the two would wait on
    // each other across the nested stack's boundary).
    const nestedScopes = new Map<Stack, Construct>();
    const scopeFor = (functions: readonly OrderFunction[]): Construct => {
      const stacks = new Set(functions.map((fn) => Stack.of(fn)));
      const [stack] = stacks;
      if (stacks.size !== 1 || !stack) throw new Error('the functions of one kind must share a stack');
      if (stack === Stack.of(this)) return this;
      const existing = nestedScopes.get(stack);
      if (existing) return existing;
      const created = new Construct(stack, 'ReleaseHooks');
      nestedScopes.set(stack, created);
      return created;
    };
    for (const [kind, functions] of props.functions) {
      const fn = hook(
        `PreTraffic${kind.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
        'functions/hooks/pre-traffic.ts',
        functions,
        scopeFor(functions),
      );
      fn.function.addEnvironment(envNames.releaseHooks.probe, kind);
      fn.function.addEnvironment(
        envNames.releaseHooks.targets,
        Stack.of(this).toJsonString(
          Object.fromEntries(
            functions.map((target) => [releaseGroupName(target), target.function.currentVersion.functionArn]),
          ),
        ),
      );
      fn.role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: functions.map((target) => target.function.currentVersion.functionArn),
        }),
      );
      preTraffic.set(kind, fn);
    }
    this.preTraffic = preTraffic;

    const all = [...props.functions.values()].flat();
    const post = hook('PostTraffic', 'functions/hooks/post-traffic.ts', all, this);
    // Alarms by their names as written, not Refs: the API alarms depend on the stage, the stage on the methods, the
    // methods on the aliases, and each alias on this hook.
    const nameOf = (alarm: cloudwatch.IAlarm) => {
      const name = (alarm.node.defaultChild as cloudwatch.CfnAlarm | undefined)?.alarmName;
      if (typeof name !== 'string' || Token.isUnresolved(name)) throw new Error(`${alarm.node.path} has no fixed name`);
      return name;
    };
    const alarmArn = (alarm: cloudwatch.IAlarm) =>
      Stack.of(this).formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: nameOf(alarm),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    post.function.addEnvironment(envNames.releaseHooks.sloAlarms, JSON.stringify(props.sloAlarms.map(nameOf)));
    post.function.addEnvironment(envNames.releaseHooks.businessAlarm, nameOf(props.businessAlarm));
    post.function.addEnvironment(
      envNames.releaseHooks.businessGroups,
      JSON.stringify(props.businessFunctions.map(releaseGroupName)),
    );
    if (props.breakGlass) post.function.addEnvironment(envNames.releaseHooks.breakGlass, props.breakGlass);
    post.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [...props.sloAlarms, props.businessAlarm].map(alarmArn),
      }),
    );
    this.postTraffic = post;
  }

  /** The hooks of one function's deployment group. */
  hooksFor(kind: ProbeKind): Hooks {
    const preTraffic = this.preTraffic.get(kind);
    if (!preTraffic) throw new Error(`no pre-traffic hook for ${kind}`);
    return { preTraffic: preTraffic.function, postTraffic: this.postTraffic.function };
  }
}
