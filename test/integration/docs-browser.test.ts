import { existsSync } from 'node:fs';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { orderEventTypes } from '../../functions/core/domain/events';
import { routeList } from '../../functions/api/routes';
import { startTestSystem, type TestSystem } from '../helpers/local-system';

/** Debian's Chromium (apt-get install chromium): Playwright's own browser downloads are not reachable here. */
const chromiumPath = '/usr/bin/chromium';
const missing = `${chromiumPath} is missing: install it with "apt-get install -y --no-install-recommends chromium"`;

if (!existsSync(chromiumPath)) {
  if (process.env.CI) {
    // In CI the browser is installed by .ci/run: its absence is a broken machine, not a reason to skip.
    describe('the /docs page in a headless browser', () => {
      it('needs Chromium', () => {
        throw new Error(missing);
      });
    });
  } else {
    console.warn(`SKIPPING the /docs browser test: ${missing}`);
    describe.skip('the /docs page in a headless browser', () => {
      it('renders', () => undefined);
    });
  }
} else {
  describe('the /docs page in a headless browser', () => {
    let system: TestSystem;
    let browser: Browser;

    beforeAll(async () => {
      system = await startTestSystem();
      browser = await chromium.launch({
        executablePath: chromiumPath,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await system?.stop();
    });

    it('renders every operation with swagger-ui, from the same origin only', async () => {
      const origin = new URL(system.runtime.apiUrl).origin;
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      const requested: string[] = [];
      // The page may only talk to the local gateway: anything else is refused here and reported.
      await context.route('**/*', async (route) => {
        const url = route.request().url();
        if (new URL(url).origin === origin || url.startsWith('data:')) return route.continue();
        problems.push(`off-origin request ${url}`);
        return route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // CSP violations are reported here too ("Refused to ...").
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      page.on('requestfailed', (request) => problems.push(`failed ${request.url()}: ${request.failure()?.errorText}`));
      page.on('request', (request) => requested.push(request.url()));
      page.on('response', (response) => {
        if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
      });

      try {
        const response = await page.goto(`${system.runtime.apiUrl}/docs`);
        expect(response?.status()).toBe(200);

        const placeOrder = page.locator('#operations-orders-placeOrder');
        await placeOrder.waitFor({ state: 'visible', timeout: 20_000 });
        await expect(placeOrder.locator('.opblock-summary-path[data-path="/orders"]').isVisible()).resolves.toBe(true);
        await expect(placeOrder.locator('.opblock-summary-operation-id').textContent()).resolves.toBe('placeOrder');
        await expect(page.locator('.opblock-summary-path[data-path="/openapi.json"]').isVisible()).resolves.toBe(true);
        // Every route, and every event type an endpoint can subscribe to (the document's webhooks).
        expect(await page.locator('.opblock').count()).toBe(routeList.length + orderEventTypes.length);

        const directory = await mkdtemp(join(tmpdir(), 'docs-page-'));
        const screenshot = join(directory, 'docs.png');
        await page.screenshot({ path: screenshot, fullPage: true });
        expect((await stat(screenshot)).size).toBeGreaterThan(10_000);
        console.log(`docs page screenshot: ${screenshot}`);

        expect(requested).toEqual(expect.arrayContaining([`${origin}/openapi.json`]));
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 60_000);
  });
}
