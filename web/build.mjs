// Builds web/static/dist: one minified, content-hashed bundle per page (and the
// style sheets), plus chunks (code pages share, and modules a page imports later),
// each with .br and .gz siblings, and manifest.json mapping a source name
// ("join.js") to its built file ("join-3KX7Q2AB.js"), and each chunk to itself.
// Run by `make setup` (web-deps); the server reads the manifest at start.
import { build } from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const WEB = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(WEB, "..");
const OUT = join(WEB, "static", "dist");
const PAGES = ["join.js", "login.js", "staff.js", "staff_room.js"];
const STYLES = ["imr.css", "review.css"];

// The source modules import socket.io-client by its served URL so they also run
// unbundled; in the bundle that URL is the package's own ES module build.
const servedVendor = {
  name: "served-vendor",
  setup(b) {
    b.onResolve({ filter: /^\/static\/vendor\// }, (args) => ({
      path: join(ROOT, "node_modules", "socket.io-client", "dist", basename(args.path)),
    }));
  },
};

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const result = await build({
  entryPoints: [
    ...PAGES.map((name) => join(WEB, "static", "js", name)),
    ...STYLES.map((name) => join(WEB, "static", "css", name)),
  ],
  bundle: true,
  splitting: true, // code shared by pages, and code a page imports later (join_room.js), in chunks
  format: "esm",
  target: "es2020",
  minify: true,
  entryNames: "[name]-[hash]",
  outdir: OUT,
  metafile: true,
  legalComments: "none",
  plugins: [servedVendor],
  logLevel: "warning",
});

const manifest = {};
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith(".map")) continue;
  const built = basename(file);
  // A page's bundle under its source name; a chunk (shared code, or a module a page
  // imports later) under its own name, so the server knows it may serve it.
  const page = output.entryPoint && PAGES.concat(STYLES).includes(basename(output.entryPoint));
  manifest[page ? basename(output.entryPoint) : built] = built;
  const body = readFileSync(join(ROOT, file));
  writeFileSync(
    join(OUT, `${built}.br`),
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
  writeFileSync(join(OUT, `${built}.gz`), gzipSync(body, { level: 9 }));
}
writeFileSync(join(OUT, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`web bundle: ${Object.keys(manifest).length} files in ${relative(ROOT, OUT)}`);
