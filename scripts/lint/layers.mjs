// The import boundaries of DESIGN.md's layout, as an ESLint rule: imports point inward to src/core, a
// channel never imports another channel, and the REST API and the channels never import each other.
import { dirname, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

/** Packages that bring a transport or a vendor: core names none of them. */
const OUTSIDE_CORE = [/^express$/, /^bullmq$/, /^ioredis$/, /^twilio$/, /^@slack\//, /^nodemailer$/, /^smtp-server$/, /^mailparser$/, /^pg$/, /^better-sqlite3$/, /^ws$/, /^helmet$/, /^pino-http$/, /^standardwebhooks$/, /^prom-client$/, /^rate-limiter-flexible$/];

/** Vendor SDKs and the one channel folder each may be used in (DESIGN.md: SDKs stay inside their channel). */
const SDK_HOMES = [
  [/^twilio$/, 'sms'],
  [/^@slack\//, 'slack'],
  [/^(nodemailer|smtp-server|mailparser)$/, 'email'],
];

/** Why `from` may not use the package `spec`, or undefined when it may. */
function packageRefusal(from, spec) {
  if (from === 'core' && OUTSIDE_CORE.some((pattern) => pattern.test(spec))) return 'src/core uses no transport or vendor SDK';
  const home = SDK_HOMES.find(([pattern]) => pattern.test(spec))?.[1];
  if (home && from !== undefined && from !== `channel:${home}`) return `a vendor SDK stays in its channel's folder (src/channels/${home})`;
  return undefined;
}

/** The layer a repository path belongs to: `core`, `http`, `api`, `channels` (the registry and the contract), `channel:<name>`, ... */
function layerOf(path) {
  const parts = relative(root, path).split(sep);
  if (parts[0] !== 'src') return undefined;
  if (parts[1] === 'channels') return parts.length > 3 ? `channel:${parts[2]}` : 'channels';
  return parts.length > 2 ? parts[1] : 'root';
}

/** Why `from` may not import `to`, or undefined when it may. */
function refusal(from, to) {
  const isChannel = (layer) => layer?.startsWith('channel:') ?? false;
  if (from === 'core' && to !== 'core') return `src/core imports no outer layer (${to})`;
  if (from === 'http' && (to === 'api' || to === 'channels' || isChannel(to))) return `src/http is below both the REST API and the channels (imports ${to})`;
  if (from === 'api' && (to === 'channels' || isChannel(to))) return 'src/api imports no channel';
  if (isChannel(from) && to === 'api') return 'a channel imports src/http, not src/api';
  if (isChannel(from) && isChannel(to) && from !== to) return `a channel never imports another channel (${to.slice('channel:'.length)})`;
  return undefined;
}

export const layers = {
  rules: {
    boundaries: {
      meta: { type: 'problem', schema: [], messages: { refused: '{{why}}: {{spec}}' } },
      create(context) {
        const from = layerOf(context.filename);
        const check = (node, spec) => {
          if (typeof spec !== 'string') return;
          if (!spec.startsWith('.')) {
            const why = packageRefusal(from, spec);
            if (why) context.report({ node, messageId: 'refused', data: { why, spec } });
            return;
          }
          const why = refusal(from, layerOf(resolve(dirname(context.filename), spec)));
          if (why) context.report({ node, messageId: 'refused', data: { why, spec } });
        };
        return {
          ImportDeclaration: (node) => check(node, node.source.value),
          ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
          ExportAllDeclaration: (node) => check(node, node.source.value),
          ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
        };
      },
    },
  },
};
