/**
 * A module-level schema, built when the module loads as if its expression stood there alone, in a form a bundler may
 * drop from a bundle that never reads it. Write `export const x = /* @__PURE__ *\/ schema(() => z.object(...))`.
 *
 * Why: to esbuild every zod/mini call (`z.string().check(...)`) may have side effects, so a bundle keeps, and builds
 * at every cold start, each schema of every schema module it imports, whether or not it uses it. An API function
 * needs its own route's (functions/api/route-contracts.ts); building all of them cost every API function about 10 ms
 * of init. The annotation tells the bundler the call has none, and it holds: building a schema changes nothing outside
 * it (zod keeps a description in its registry keyed weakly by the schema itself).
 */
export function schema<Schema>(build: () => Schema): Schema {
  return build();
}
