import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A file at `path` whose only import is `spec`. */
interface Probe {
  path: string;
  spec: string;
}

/**
 * Runs the project's layers rule on probe sources (in a child process: the rule and ESLint are ES
 * modules) and answers the messages of each probe; an empty list is an allowed import.
 */
function refusals(probes: readonly Probe[]): string[][] {
  const script = `
    import { Linter } from 'eslint';
    import tseslint from 'typescript-eslint';
    import { layers } from './scripts/lint/layers.mjs';
    const probes = JSON.parse(process.argv[1]);
    const linter = new Linter({ configType: 'flat' });
    const config = [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { layers }, rules: { 'layers/boundaries': 'error' } }];
    const out = probes.map((p) => linter.verify("import x from '" + p.spec + "';\\nexport default x;\\n", config, { filename: p.path }).map((m) => m.message));
    process.stdout.write(JSON.stringify(out));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(probes.map((p) => ({ ...p, path: join(ROOT, p.path) })))], { cwd: ROOT });
  return JSON.parse(output.toString()) as string[][];
}

describe("the import layers' lint rule", () => {
  it('is on for every file under src/', () => {
    for (const file of ['src/core/errors.ts', 'src/channels/sms/webhooks.ts', 'src/api/app.ts', 'src/http/route.ts']) {
      const config = JSON.parse(execFileSync(process.execPath, [join(ROOT, 'node_modules/eslint/bin/eslint.js'), '--print-config', file], { cwd: ROOT }).toString()) as { rules: Record<string, unknown> };
      expect([file, config.rules['layers/boundaries']]).toEqual([file, [2]]);
    }
  });

  it('refuses what DESIGN.md forbids and allows the inward imports', () => {
    const refused: Probe[] = [
      { path: 'src/core/probe.ts', spec: 'express' },
      { path: 'src/core/probe.ts', spec: 'twilio' },
      { path: 'src/core/probe.ts', spec: '@slack/web-api' },
      { path: 'src/core/messages/probe.ts', spec: '../../api/app' },
      { path: 'src/core/probe.ts', spec: '../channels/sms' },
      { path: 'src/core/probe.ts', spec: '../workers' },
      { path: 'src/core/probe.ts', spec: '../infra/metrics' },
      { path: 'src/core/probe.ts', spec: '../http/route' },
      { path: 'src/channels/sms/probe.ts', spec: '../slack/client' },
      { path: 'src/channels/widget/http/probe.ts', spec: '../../../api/routes/agents' },
      { path: 'src/api/routes/probe.ts', spec: '../../channels/widget' },
      { path: 'src/api/probe.ts', spec: '../channels/channel' },
      { path: 'src/http/probe.ts', spec: '../api/app' },
      { path: 'src/channels/widget/probe.ts', spec: 'nodemailer' },
      { path: 'src/channels/sms/probe.ts', spec: '@slack/web-api' },
      { path: 'src/api/routes/probe.ts', spec: 'twilio' },
      { path: 'src/workers/probe.ts', spec: 'smtp-server' },
    ];
    const allowed: Probe[] = [
      { path: 'src/core/probe.ts', spec: './errors' },
      { path: 'src/core/probe.ts', spec: 'typeorm' },
      { path: 'src/channels/sms/probe.ts', spec: '../../core/errors' },
      { path: 'src/channels/sms/probe.ts', spec: '../../http/route' },
      { path: 'src/channels/sms/probe.ts', spec: '../channel' },
      { path: 'src/channels/sms/probe.ts', spec: './media' },
      { path: 'src/channels/probe.ts', spec: './sms/definition' },
      { path: 'src/api/probe.ts', spec: '../http/route' },
      { path: 'src/channels/email/send/probe.ts', spec: 'nodemailer' },
      { path: 'src/channels/email/receive/probe.ts', spec: 'smtp-server' },
      { path: 'src/channels/sms/probe.ts', spec: 'twilio' },
    ];
    const answers = refusals([...refused, ...allowed]);
    refused.forEach((probe, i) => expect([probe, answers[i]?.length]).toEqual([probe, 1]));
    allowed.forEach((probe, i) => expect([probe, answers[refused.length + i]]).toEqual([probe, []]));
  });
});
