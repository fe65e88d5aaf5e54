import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Writes a generated file when its content changed, or with `--check` in the arguments writes nothing and returns 1
 * when the committed file is stale (for CI and the unit tests). Returns the process's exit code.
 */
export function writeOrCheckGenerated(file: string, rendered: string, name: string, command: string): number {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // Not written yet.
  }
  if (process.argv.includes('--check')) {
    if (current === rendered) return 0;
    console.error(`${name} is stale: run ${command}`);
    return 1;
  }
  if (current !== rendered) writeFileSync(file, rendered);
  console.log(current === rendered ? `${name} is up to date` : `wrote ${name}`);
  return 0;
}
