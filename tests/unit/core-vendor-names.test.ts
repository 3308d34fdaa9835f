import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** Vendors whose names belong in their channel's folder, never in core's code (DESIGN.md: core names no vendor). */
const VENDOR = /slack|twilio|whatsapp|hubspot|salesforce|mailgun|sendgrid/i;

const root = join(__dirname, '../..');
const core = join(root, 'src/core');

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return typescriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The identifiers and literals of a source that name a vendor, with their lines; comments are no code and are not read. */
function vendorNamesIn(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const named = ts.isIdentifier(node) || ts.isPrivateIdentifier(node) || ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node) || ts.isRegularExpressionLiteral(node);
    if (named && VENDOR.test(node.text)) found.push(`${fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1} ${node.text}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('core names no vendor', () => {
  it('finds vendor names in identifiers, strings, templates and regular expressions, not in comments', () => {
    const text = [
      '// Slack threads, /* Twilio */',
      'const slackUserId = 1;',
      "import { x } from '@sendgrid/mail';",
      'const t = `a ${slackUserId} WhatsApp`;',
      'const r = /hubspot/;',
      '/** Mailgun */ const ok = "mail";',
    ].join('\n');
    expect(vendorNamesIn('example.ts', text)).toEqual([
      'example.ts:2 slackUserId',
      'example.ts:3 @sendgrid/mail',
      'example.ts:4 slackUserId',
      'example.ts:4  WhatsApp',
      'example.ts:5 /hubspot/',
    ]);
  });

  it('src/core has none in its code', () => {
    const files = typescriptFiles(core);
    expect(files.length).toBeGreaterThan(10);
    expect(files.flatMap((path) => vendorNamesIn(relative(root, path), readFileSync(path, 'utf8')))).toEqual([]);
  });
});
