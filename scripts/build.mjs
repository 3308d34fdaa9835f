// Compiles TypeScript to dist/, and bundles the chat widget to dist/widget/widget.js. With --if-stale it
// does nothing when dist/ is newer than every source, so `npm start` and `npm test` build only when
// something changed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');
const sources = ['src', 'config', 'bench', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'scripts/build.mjs'];
const args = new Set(process.argv.slice(2));

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), stat.mtimeMs);
}

function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return sources.some((source) => newestMtime(join(root, source)) > built);
}

if (args.has('--if-stale') && !isStale()) process.exit(0);
if (!args.has('--quiet')) console.error('building dist/ ...');

rmSync(dist, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
} catch {
  process.exit(1);
}

// The widget runs on other people's pages: one small file, no source map, no comments, ES2020 syntax
// (every browser with shadow DOM and fetch keepalive has it). Its style sheets become minified strings (see ui/widget.css).
const esbuild = createRequire(import.meta.url)('esbuild');
const cssAsText = {
  name: 'css-as-text',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, ({ path }) => ({
      contents: esbuild.transformSync(readFileSync(path, 'utf8'), { loader: 'css', minify: true, target: 'chrome80' }).code.trim(),
      loader: 'text',
    }));
  },
};
try {
  await esbuild.build({
    entryPoints: [join(root, 'src/channels/widget/browser/index.ts')],
    outfile: join(dist, 'widget/widget.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    sourcemap: false,
    legalComments: 'none',
    charset: 'utf8',
    plugins: [cssAsText],
    logLevel: 'warning',
  });
} catch (error) {
  // esbuild has printed the errors in the code; anything else (a bad option) is printed here.
  if (!error.errors?.length) console.error(error);
  process.exit(1);
}

// The compiler mirrors the repository layout (src/ and config/ side by side), so the public entry points
// `dist/main.js` and `dist/cli.js` are thin files that load the compiled modules.
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'main.js'), "'use strict';\nrequire('./src/main.js').main();\n");
writeFileSync(join(dist, 'cli.js'), "'use strict';\nrequire('./src/cli/index.js').main();\n");
writeFileSync(stamp, new Date().toISOString());
