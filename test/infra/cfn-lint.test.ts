import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allEnvironments, synthApp } from './synth-app';

/**
 * CloudFormation's own linter over every environment's synthesized templates. It checks what synth, cdk-nag and the
 * template assertions do not: circular dependencies between resources (which CloudFormation rejects at deploy time),
 * properties against each resource type's schema, and intrinsic functions. Any finding not accepted, with its
 * reason, in cfn-lint-accepted.json fails the test.
 */
interface Finding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

interface Accepted {
  readonly rule: string;
  readonly resourceType?: string;
  readonly messageIncludes?: string;
  readonly reason: string;
}

const accepted = (
  JSON.parse(fs.readFileSync(path.join(__dirname, 'cfn-lint-accepted.json'), 'utf8')) as {
    accepted: Accepted[];
  }
).accepted;

const available = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
// Locally a machine without cfn-lint skips (with a note); CI must have it, so there a missing linter fails.
const describeLint = available || process.env.CI === 'true' ? describe : describe.skip;
if (!available && process.env.CI !== 'true') {
  console.warn('cfn-lint is not installed: the template lint is skipped (pip install cfn-lint)');
}

function lint(templates: readonly string[]): Finding[] {
  const result = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  // Exit codes are bit flags for the levels found (2 error, 4 warning, 8 informational); 1 is the linter's own failure.
  if (result.status === 1) throw new Error(`cfn-lint failed: ${result.stderr}`);
  return JSON.parse(result.stdout || '[]') as Finding[];
}

function resourceTypeOf(finding: Finding): string | undefined {
  const [section, logicalId] = finding.Location.Path;
  if (section !== 'Resources' || typeof logicalId !== 'string') return undefined;
  const template = JSON.parse(fs.readFileSync(finding.Filename, 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  return template.Resources[logicalId]?.Type;
}

function isAccepted(finding: Finding): boolean {
  return accepted.some(
    (entry) =>
      entry.rule === finding.Rule.Id &&
      (entry.resourceType === undefined || entry.resourceType === resourceTypeOf(finding)) &&
      (entry.messageIncludes === undefined || finding.Message.includes(entry.messageIncludes)),
  );
}

function templatesIn(outdir: string): string[] {
  return fs
    .readdirSync(outdir)
    .filter((name) => name.endsWith('.template.json'))
    .map((name) => path.join(outdir, name));
}

describeLint('cfn-lint', () => {
  it('finds a circular dependency, so a clean report means something', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-check-'));
    try {
      const file = path.join(dir, 'cycle.template.json');
      const queue = (other: string) => ({
        Type: 'AWS::SQS::Queue',
        Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [other, 'Arn'] }, maxReceiveCount: 3 } },
      });
      fs.writeFileSync(file, JSON.stringify({ Resources: { A: queue('B'), B: queue('A') } }));
      expect(lint([file]).map((finding) => finding.Rule.Id)).toContain('E3004');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every accepted finding a reason', () => {
    for (const entry of accepted) expect(entry.reason.length).toBeGreaterThan(40);
  });

  it.each(allEnvironments)('accepts %s: no finding beyond the accepted ones', (envName) => {
    const { app } = synthApp(envName);
    const outdir = app.outdir;
    const findings = lint(templatesIn(outdir)).filter((finding) => !isAccepted(finding));
    expect(
      findings.map(
        (finding) =>
          `${finding.Rule.Id} ${path.relative(outdir, finding.Filename)} ${finding.Location.Path.join('/')}: ` +
          finding.Message,
      ),
    ).toEqual([]);
  });
});
