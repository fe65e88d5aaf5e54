import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { deployedBundleOptions } from '../../bench/lib/cold-start';
import { contract } from '../../functions/api/contract';
import { routes, type RouteId } from '../../functions/api/routes';

const projectRoot = resolve(__dirname, '..', '..');

/** The handler's bundle as the construct builds it (minified ESM, nothing external), as text. */
async function bundleOf(id: RouteId): Promise<string> {
  const result = await build({
    ...deployedBundleOptions,
    entryPoints: [join(projectRoot, routes[id].handler)],
    outfile: join(projectRoot, 'bundle-probe', 'index.mjs'),
    absWorkingDir: projectRoot,
    sourcemap: false,
    write: false,
  });
  return result.outputFiles.find((file) => file.path.endsWith('.mjs'))!.text;
}

/**
 * Each API function builds only its own route's contract and schemas at cold start (functions/api/route-contracts.ts,
 * functions/core/schemas/schema.ts): the bundler drops every other route's. Texts that appear in one route's contract
 * or schemas only tell which ones a bundle carries.
 */
describe("an API function's bundle carries its own route's contract only", () => {
  const sampled = ['getProduct', 'placeOrder', 'createWebhook'] as const satisfies readonly RouteId[];
  const bundles = new Map<RouteId, string>();
  beforeAll(async () => {
    for (const id of sampled) bundles.set(id, await bundleOf(id));
  }, 60_000);

  it("keeps its own route's success description and no other route's", () => {
    // As a string literal: one description ('The product') is part of others.
    const carries = (code: string, id: RouteId) => code.includes(JSON.stringify(contract[id].success.description));
    for (const id of sampled) {
      const code = bundles.get(id)!;
      const others = (Object.keys(contract) as RouteId[]).filter(
        (other) => contract[other].success.description !== contract[id].success.description,
      );
      expect({ id, own: carries(code, id) }).toEqual({ id, own: true });
      expect({ id, others: others.filter((other) => carries(code, other)) }).toEqual({
        id,
        others: [],
      });
    }
  });

  it("builds the schemas its route validates, and not another route's", () => {
    // One description per schema module: the product id (api-schemas), the address (shipping-schemas), the webhook
    // URL (webhook-schemas).
    const productId = 'The product id';
    const addressLine = 'Street and number, or a PO box';
    const webhookUrl = 'Where deliveries are POSTed';
    const carried = (id: RouteId) =>
      [productId, addressLine, webhookUrl].filter((text) => bundles.get(id)!.includes(text));
    expect(carried('getProduct')).toEqual([productId]);
    expect(carried('placeOrder')).toEqual([addressLine]);
    expect(carried('createWebhook')).toEqual([webhookUrl]);
  });
});
