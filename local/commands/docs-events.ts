import { join, resolve } from 'node:path';
import { eventCatalogueDoc, renderEventCatalogue } from './lib/event-catalogue-doc';
import { writeOrCheckGenerated } from './lib/generated-file';

const projectRoot = resolve(__dirname, '..', '..');

/**
 * `npm run docs:events`: writes docs/events.md from the event schemas. With `--check`, writes nothing and exits 1
 * when the committed page is stale (for CI; the unit test checks the same).
 */
async function main(): Promise<number> {
  const rendered = await renderEventCatalogue(projectRoot);
  return writeOrCheckGenerated(
    join(projectRoot, eventCatalogueDoc),
    rendered,
    eventCatalogueDoc,
    'npm run docs:events',
  );
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
