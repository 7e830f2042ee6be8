// Bundles the explorer (sigma.js + graphology) and its ForceAtlas2 web worker into frontend/static/frontend/dist/,
// from the packages frontend/package-lock.json pins. Run by deploy/bootstrap.sh (the README's two commands);
// by hand: `cd frontend && npm ci && npm run build`.
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const started = Date.now();
await esbuild.build({
  absWorkingDir: path.resolve(here, ".."),
  entryPoints: { explorer: "js/explorer.js", "layout-worker": "js/layout-worker.js" },
  outdir: "static/frontend/dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  sourcemap: "linked",
  legalComments: "linked",
  logLevel: "warning",
});
console.log(`[bundle] explorer.js and layout-worker.js built in ${Date.now() - started} ms`);
