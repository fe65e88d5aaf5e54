import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { catalogueEventTypes, eventCatalogue } from '../../functions/core/schemas/event-schemas';

const projectRoot = resolve(__dirname, '..', '..');
// Not imported from local/commands/lib/event-catalogue-doc.ts: that module loads prettier, which jest cannot.
const eventCatalogueDoc = 'docs/events.md';

describe('docs/events.md', () => {
  // Through the command itself: prettier, which formats the page, loads its plugins in a way jest cannot.
  it('is what `npm run docs:events` generates from the event schemas now (run it after changing a schema)', () => {
    let output = '';
    try {
      execFileSync(join(projectRoot, 'node_modules', '.bin', 'tsx'), ['local/commands/docs-events.ts', '--check'], {
        cwd: projectRoot,
        stdio: 'pipe',
      });
    } catch (error) {
      output = String((error as { stderr?: Buffer }).stderr ?? error);
    }
    expect(output).toBe('');
  });

  it('has a section per event type with when it is published, its id and its schema', () => {
    const page = readFileSync(join(projectRoot, eventCatalogueDoc), 'utf8');
    for (const type of catalogueEventTypes) {
      const section = page.split(`\n## ${type}\n`)[1]?.split('\n## ')[0];
      expect(section).toBeDefined();
      expect(section).toContain(eventCatalogue[type].idShape);
      expect(section).toContain(`"const": "${type}"`);
    }
  });
});
