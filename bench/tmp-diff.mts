import { build } from 'esbuild';
import { deployedBundleOptions } from './lib/cold-start';
async function mods(f: string) {
  const r = await build({ ...deployedBundleOptions, entryPoints: [f], write: false, outfile: '/tmp/x.mjs', absWorkingDir: process.cwd(), metafile: true });
  const m = new Map<string, number>();
  for (const o of Object.values(r.metafile!.outputs)) for (const [p, i] of Object.entries(o.inputs)) m.set(p.replace(/^.*node_modules\//, ''), i.bytesInOutput);
  return m;
}
const a = await mods(process.argv[2]!), b = await mods(process.argv[3]!);
const extra = [...b].filter(([k]) => !a.has(k)).sort((x, y) => y[1] - x[1]);
const byPkg = new Map<string, number>();
for (const [k, v] of extra) { const key = k.startsWith('functions') ? k : /^((?:@[^/]+\/)?[^/]+)/.exec(k)![1]!; byPkg.set(key, (byPkg.get(key) ?? 0) + v); }
console.log('extra', extra.reduce((s, e) => s + e[1], 0));
for (const [k, v] of [...byPkg].sort((x, y) => y[1] - x[1]).slice(0, Number(process.argv[4] ?? 30))) console.log(String(v).padStart(8), k);
