import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describeEachEnvironment, nagAcknowledgements as acknowledgements, nagFindings as findings } from './synth-app';

const acknowledgedEverywhere = [
  'AwsSolutions-APIG4',
  // MFA is optional in the pool (customers); prod enforces it for admins with a trigger (user-directory.ts).
  'AwsSolutions-COG2',
  'AwsSolutions-COG4',
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
  'AwsSolutions-IAM5[Resource::*]',
  'AwsSolutions-L1',
  'AwsSolutions-SMG4',
  'AwsSolutions-SQS3',
];
// Where the environment configures `backup`: the role AWS Backup assumes uses the AWS managed backup policy.
const backupRole =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]';
// Where the environment configures `chaos` (staging by default): the FIS configuration bucket and its prefix.
const chaosBucket = ['AwsSolutions-IAM5[Resource::<ChaosConfigBucketE3A285C6.Arn>/FisConfigs/*]', 'AwsSolutions-S1'];
// Where the environment has a standby region: the AwsCustomResource provider of the StandbyData stack (its logs).
const standbyLookups =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
// Outside DEBUG environments the workflows log failed executions only (order-workflows.ts, workflowLogLevel).
const workflowErrorLogs = 'AwsSolutions-SF1';
const expectedAcknowledgements: Record<string, readonly string[]> = {
  dev: [...acknowledgedEverywhere],
  staging: [...acknowledgedEverywhere, backupRole, ...chaosBucket, standbyLookups, workflowErrorLogs],
  prod: [...acknowledgedEverywhere, backupRole, standbyLookups, workflowErrorLogs],
};

describe('the cdk-nag check itself', () => {
  it('reports findings on a non-compliant stack, so an empty report means something', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'non-compliant-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'NonCompliant');
      new sqs.Queue(stack, 'Queue');
      expect(findings(app).map((finding) => finding.rule)).toEqual(
        expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
      );
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describeEachEnvironment('cdk-nag AWS Solutions', (app, envName) => {
  it('leaves no unacknowledged finding, error or warning', () => {
    expect(findings(app().app)).toEqual([]);
  });

  it('has no error annotations on any stack', () => {
    for (const stack of [app().data, app().service, ...app().replicaKeys, ...app().standbyData, ...app().standbys]) {
      expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
      expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    }
  });

  it('acknowledges only the reviewed rules, each with a reason and each hiding a real finding', () => {
    const acks = acknowledgements(app().app);
    expect([...new Set(acks.map((ack) => ack.rule))].sort()).toEqual([...expectedAcknowledgements[envName]!].sort());
    const raw = findings(app().app, { ignoreAcknowledgements: true });
    for (const ack of acks) {
      expect(ack.reason.length).toBeGreaterThan(40);
      const hidden = raw.some((finding) => finding.rule === ack.rule && `${finding.path}/`.startsWith(`${ack.path}/`));
      expect({ ...ack, hidesAFinding: hidden }).toEqual({ ...ack, hidesAFinding: true });
    }
  });
});
