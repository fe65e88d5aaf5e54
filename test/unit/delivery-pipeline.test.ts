import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// The delivery pipeline only runs on GitHub, so these tests read the workflow files as GitHub would and check the
// properties a release depends on: what CI runs, the order of the environments, the approval gate and the credentials.

const root = join(__dirname, '..', '..');
const readText = (path: string): string => readFileSync(join(root, path), 'utf8');

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

interface Job {
  readonly name?: string;
  readonly needs?: string | string[];
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly environment?: string | { readonly name: string; readonly url?: string };
  readonly permissions?: Record<string, string>;
  readonly concurrency?: string | { readonly group: string; readonly 'cancel-in-progress'?: boolean | string };
  readonly strategy?: { readonly matrix?: Record<string, unknown> };
  readonly env?: Record<string, string>;
  readonly steps?: readonly Step[];
}

interface Workflow {
  readonly name: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const workflowDir = '.github/workflows';
const loadWorkflow = (file: string): Workflow => parse(readText(`${workflowDir}/${file}`)) as Workflow;

/** The shell commands of a job's `run` steps, one per logical line (continuations joined, comments dropped). */
function commandsOf(job: Job): string[] {
  return (job.steps ?? [])
    .flatMap((step) => (step.run ?? '').replace(/\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Index of the first command of the job that starts with `prefix`; throws when none does, naming the prefix. */
function commandIndex(job: Job, prefix: string): number {
  const index = commandsOf(job).findIndex((command) => command.startsWith(prefix));
  if (index < 0) throw new Error(`no step runs "${prefix}"`);
  return index;
}

function stepUsing(job: Job, action: string): Step {
  const step = (job.steps ?? []).find((candidate) => candidate.uses?.split('@')[0] === action);
  if (!step) throw new Error(`no step uses ${action}`);
  return step;
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());

const calledWorkflow = (job: Job): string | undefined =>
  job.uses?.startsWith(`./${workflowDir}/`) ? job.uses.slice(`./${workflowDir}/`.length) : undefined;

/**
 * The environments a deploy workflow releases to, in order. Deploy jobs are the ones that call the environment
 * workflow; they must form one chain through `needs`, each waiting for the previous one, or this throws.
 */
function deployOrder(workflow: Workflow, environmentWorkflow: string): string[] {
  const deployJobs = Object.entries(workflow.jobs).filter(([, job]) => calledWorkflow(job) === environmentWorkflow);
  const deployIds = new Set(deployJobs.map(([id]) => id));
  const heads = deployJobs.filter(([, job]) => !needsOf(job).some((need) => deployIds.has(need)));
  if (heads.length !== 1) throw new Error(`expected one first deploy, found ${heads.map(([id]) => id).join(', ')}`);
  const order: string[] = [];
  let current: [string, Job] | undefined = heads[0];
  while (current) {
    const [id, job] = current;
    order.push(String(job.with?.environment));
    const next = deployJobs.filter(([, candidate]) => needsOf(candidate).includes(id));
    if (next.length > 1) throw new Error(`deploys ${next.map(([nextId]) => nextId).join(', ')} all follow ${id}`);
    current = next[0];
  }
  if (order.length !== deployJobs.length) throw new Error('some deploy jobs are not in the chain');
  return order;
}

/** The GitHub environment a calling job's deploy runs in, with the called workflow's inputs substituted. */
function environmentOf(callingJob: Job, called: Workflow): string[] {
  return Object.values(called.jobs).map((job) => {
    const environment = typeof job.environment === 'string' ? job.environment : job.environment?.name;
    return (environment ?? '').replace(/\$\{\{\s*inputs\.(\w+)\s*\}\}/g, (_match, input: string) =>
      String(callingJob.with?.[input] ?? ''),
    );
  });
}

/** Shell lines of every ```sh block of a Markdown file, one array per block. */
function shellBlocks(markdown: string): string[][] {
  return [...markdown.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((match) =>
    (match[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

const ci = loadWorkflow('ci.yml');
const deploy = loadWorkflow('deploy.yml');
const deployEnvironment = loadWorkflow('deploy-environment.yml');
const allWorkflows: Record<string, Workflow> = {
  'ci.yml': ci,
  'deploy.yml': deploy,
  'deploy-environment.yml': deployEnvironment,
};
const ciTest = ci.jobs.test!;
const deployJob = deployEnvironment.jobs.deploy!;
const environmentNames = Object.keys(
  (JSON.parse(readText('cdk.json')) as { context: { environments: Record<string, unknown> } }).context.environments,
);

describe('CI workflow', () => {
  it('runs on every pull request, on main and when the deploy workflow calls it', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push', 'workflow_call']);
    expect(ci.on.push).toEqual({ branches: ['main'] });
  });

  it('installs from the lockfile, then lints, then runs the test suite', () => {
    const install = commandIndex(ciTest, 'npm ci');
    const lint = commandIndex(ciTest, 'npm run lint');
    const test = commandIndex(ciTest, 'npm test');
    expect(install).toBeLessThan(lint);
    expect(lint).toBeLessThan(test);
  });

  it('audits the production dependencies and fails on high or critical advisories', () => {
    const audit = commandsOf(ciTest)[commandIndex(ciTest, 'npm audit')]!.split(/\s+/);
    expect(audit).toEqual(expect.arrayContaining(['--omit=dev', '--audit-level=high']));
  });

  it('tests on the oldest supported Node.js and on the Lambda runtime, with Java 17 for DynamoDB Local', () => {
    const engines = (JSON.parse(readText('package.json')) as { engines: { node: string } }).engines.node;
    const oldestMajor = /(\d+)/.exec(engines)?.[1];
    expect(ciTest.strategy?.matrix?.node).toEqual([oldestMajor, '22']);
    expect(stepUsing(ciTest, 'actions/setup-node').with?.['node-version']).toBe('${{ matrix.node }}');
    expect(stepUsing(ciTest, 'actions/setup-java').with).toMatchObject({
      distribution: 'temurin',
      'java-version': '17',
    });
  });

  it('runs the same test command the README gives', () => {
    const ciTestCommand = commandsOf(ciTest)[commandIndex(ciTest, 'npm test')];
    const readmeTestBlocks = shellBlocks(readText('README.md')).filter(
      (block) => block.length === 1 && /^npm (test|run test)(\s|$)/.test(block[0]!),
    );
    expect(readmeTestBlocks).toEqual([[ciTestCommand]]);
  });

  it('keeps the unit, integration and infra layers in that test command', () => {
    const scripts = (JSON.parse(readText('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toMatch(/^npm run typecheck && /);
    const projects = /--selectProjects ((?:\w+ ?)+)/
      .exec(scripts.test ?? '')?.[1]
      ?.trim()
      .split(' ');
    expect(projects).toEqual(expect.arrayContaining(['unit', 'integration', 'infra']));
  });

  it('synthesizes every environment of cdk.json and keeps each cloud assembly', () => {
    const synth = ci.jobs.synth!;
    expect([...(synth.strategy?.matrix?.env as string[])].sort()).toEqual([...environmentNames].sort());
    expect(commandsOf(synth)).toContain('npx cdk synth -c env=${{ matrix.env }} --quiet --output cdk.out');
    expect(stepUsing(synth, 'actions/upload-artifact').with).toMatchObject({
      name: 'cdk.out-${{ matrix.env }}',
      path: 'cdk.out',
    });
  });

  it('gets no cloud credentials', () => {
    expect(ci.permissions).toEqual({ contents: 'read' });
    expect(Object.values(ci.jobs).some((job) => job.permissions?.['id-token'])).toBe(false);
  });
});

describe('deploy workflow', () => {
  it('releases main, or on demand', () => {
    expect(Object.keys(deploy.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(deploy.on.push).toEqual({ branches: ['main'] });
  });

  it('deploys nothing before the whole CI workflow passed', () => {
    expect(deploy.jobs.test?.uses).toBe('./.github/workflows/ci.yml');
    expect(needsOf(deploy.jobs['deploy-dev']!)).toEqual(['test']);
  });

  it('deploys dev, then staging, then prod, each after the previous one succeeded', () => {
    expect(deployOrder(deploy, 'deploy-environment.yml')).toEqual(['dev', 'staging', 'prod']);
  });

  it('runs each deploy in the GitHub environment of its name, prod included (the approval gate)', () => {
    for (const name of environmentNames) {
      expect(environmentOf(deploy.jobs[`deploy-${name}`]!, deployEnvironment)).toEqual([name]);
    }
  });

  it('lets one deploy per environment run at a time and never cancels one half way', () => {
    const groups = environmentNames.map((name) => deploy.jobs[`deploy-${name}`]!.concurrency);
    expect(groups).toEqual(environmentNames.map((name) => ({ group: `deploy-${name}`, 'cancel-in-progress': false })));
  });

  it('takes short-lived credentials from GitHub OIDC, with nothing but the deploy jobs allowed a token', () => {
    expect(deploy.permissions).toEqual({});
    for (const name of environmentNames) {
      expect(deploy.jobs[`deploy-${name}`]!.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
    }
    expect(deploy.jobs.test?.permissions).toEqual({ contents: 'read' });
    const credentials = stepUsing(deployJob, 'aws-actions/configure-aws-credentials').with ?? {};
    expect(credentials['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
    expect(Object.keys(credentials).filter((input) => /access-key|secret|session-token/.test(input))).toEqual([]);
  });

  it('references no long-lived AWS keys anywhere', () => {
    for (const file of [
      ...Object.keys(allWorkflows).map((name) => `${workflowDir}/${name}`),
      '.github/dependabot.yml',
    ]) {
      expect({ file, text: readText(file) }).toEqual({
        file,
        text: expect.not.stringMatching(
          /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/i,
        ),
      });
    }
  });

  it('deploys every stack of the environment without prompting, then smoke-checks its API', () => {
    expect(deployJob.env?.DEPLOY_ENV).toBe('${{ inputs.environment }}');
    const commands = commandsOf(deployJob);
    const deployIndex = commandIndex(deployJob, 'npx cdk deploy');
    expect(commands[deployIndex]!.split(/\s+/)).toEqual(
      expect.arrayContaining(['--all', '-c', 'env="$DEPLOY_ENV"', '--require-approval', 'never']),
    );
    const stepNames = (deployJob.steps ?? []).map((step) => step.uses?.split('@')[0] ?? step.name);
    expect(stepNames.indexOf('aws-actions/configure-aws-credentials')).toBeLessThan(stepNames.indexOf('Deploy'));
    expect(stepNames.indexOf('Deploy')).toBeLessThan(stepNames.indexOf('Smoke check'));
    const smoke = (deployJob.steps ?? []).find((step) => step.name === 'Smoke check')?.run ?? '';
    expect(smoke).toMatch(/for path in health health\/ready/);
    expect(smoke).toContain('--fail-with-body');
    expect(smoke).toContain('["Orders-" + process.env.DEPLOY_ENV + "-Service"]?.ApiUrl');
  });
});

describe('every workflow', () => {
  it('pins each action to a major version or a commit', () => {
    const references = Object.values(allWorkflows).flatMap((workflow) =>
      Object.values(workflow.jobs).flatMap((job) => [job.uses, ...(job.steps ?? []).map((step) => step.uses)]),
    );
    const remote = references.filter((uses): uses is string => uses !== undefined && !uses.startsWith('./'));
    expect(remote.length).toBeGreaterThan(0);
    expect(remote.filter((uses) => !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(uses))).toEqual([]);
  });
});

describe('dependabot', () => {
  it('proposes npm and GitHub Actions updates every week', () => {
    const config = parse(readText('.github/dependabot.yml')) as {
      updates: { 'package-ecosystem': string; schedule: { interval: string } }[];
    };
    expect(config.updates.map((update) => [update['package-ecosystem'], update.schedule.interval])).toEqual([
      ['npm', 'weekly'],
      ['github-actions', 'weekly'],
    ]);
  });
});

// The checks above only mean something if they reject a broken pipeline: feed them broken copies.
describe('the pipeline checks', () => {
  /** The deploy workflow with some of its jobs replaced. */
  const deployWith = (jobs: Record<string, Partial<Job>>): Workflow => ({
    ...deploy,
    jobs: {
      ...deploy.jobs,
      ...Object.fromEntries(Object.entries(jobs).map(([id, change]) => [id, { ...deploy.jobs[id], ...change }])),
    },
  });

  it('reject a prod deploy that does not wait for staging', () => {
    const broken = deployWith({ 'deploy-prod': { needs: 'deploy-dev' } });
    expect(() => deployOrder(broken, 'deploy-environment.yml')).toThrow(/all follow deploy-dev/);
  });

  it('reject a deploy order that is not dev, staging, prod', () => {
    const swapped = deployWith({
      'deploy-staging': { with: { environment: 'prod' } },
      'deploy-prod': { with: { environment: 'staging' } },
    });
    expect(deployOrder(swapped, 'deploy-environment.yml')).toEqual(['dev', 'prod', 'staging']);
  });

  it('notice a missing step', () => {
    const withoutAudit: Job = { ...ciTest, steps: ciTest.steps?.filter((step) => !step.run?.startsWith('npm audit')) };
    expect(() => commandIndex(withoutAudit, 'npm audit')).toThrow('no step runs "npm audit"');
  });

  it('resolve the environment of a deploy from its caller', () => {
    expect(environmentOf({ with: { environment: 'sandbox' } }, deployEnvironment)).toEqual(['sandbox']);
  });
});
