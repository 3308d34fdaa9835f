import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configTableMarkdown } from '../../config';

describe('README', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

  it('has the configuration table of config/settings.ts (regenerate with `npm run hub -- config --markdown`)', () => {
    const match = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
    expect(match?.[1]).toBe(configTableMarkdown());
  });

  it('shows the start and test commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});
