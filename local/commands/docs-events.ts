import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventCatalogueDoc, renderEventCatalogue } from './lib/event-catalogue-doc';

const projectRoot = resolve(__dirname, '..', '..');

/**
 * `npm run docs:events`: writes docs/events.md from the event schemas. With `--check`, writes nothing and exits 1
 * when the committed page is stale (for CI; the unit test checks the same).
 */
async function main(): Promise<number> {
  const file = join(projectRoot, eventCatalogueDoc);
  const rendered = await renderEventCatalogue(projectRoot);
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // Not written yet.
  }
  if (process.argv.includes('--check')) {
    if (current === rendered) return 0;
    console.error(`${eventCatalogueDoc} is stale: run npm run docs:events`);
    return 1;
  }
  if (current !== rendered) writeFileSync(file, rendered);
  console.log(current === rendered ? `${eventCatalogueDoc} is up to date` : `wrote ${eventCatalogueDoc}`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
