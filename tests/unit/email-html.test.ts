import { cidReferences, sanitizeEmailHtml, withoutImagePlaceholders } from '../../src/channels/email/parse/html';
import { htmlToText } from '../../src/channels/email/parse/html-text';

/** What the channel does with an HTML-only mail: sanitize, then render. */
const render = (html: string): string => htmlToText(sanitizeEmailHtml(html));

describe('sanitizeEmailHtml', () => {
  it.each([
    ['<a href="//evil.example.com/x">a</a>', '<a>a</a>'],
    ['<a href="/relative">a</a>', '<a>a</a>'],
    ['<a href="JavaScript:alert(1)">a</a>', '<a>a</a>'],
    ['<a href="data:text/html,x">a</a>', '<a>a</a>'],
    ['<a href="ftp://files.example.com/x">a</a>', '<a>a</a>'],
    ['<a href="mailto:ada@example.com" target="_self" rel="opener">a</a>', '<a href="mailto:ada@example.com" target="_blank" rel="noopener noreferrer nofollow">a</a>'],
    ['<img src="https://cdn.example.com/logo.png" alt="logo">', '<img alt="logo" src="https://cdn.example.com/logo.png" />'],
    ['<img src="http://cdn.example.com/logo.png">', ''],
    ['<img src="data:image/png;base64,AAAA">', ''],
    ['<img src="CID:Logo@X">', '<img src="cid:logo@x" />'],
    ['<img srcset="https://x.example.com/a.png 2x" src="cid:a">', '<img src="cid:a" />'],
    ['<p style="color:red" class="MsoNormal" onmouseover="x()">Hi</p>', '<p class="MsoNormal">Hi</p>'],
    ['<svg><script>alert(1)</script><text>x</text></svg>ok', 'ok'],
    ['<object data="x.swf">fallback</object><embed src="x.swf">ok', 'ok'],
    ['<math><mi>x</mi></math>', 'x'],
    ['<table border="1"><tr><td colspan="2" onclick="x()">c</td></tr></table>', '<table border="1"><tr><td colspan="2">c</td></tr></table>'],
    ['<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <font color="red" face="Comic Sans">f</font>', '<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <font color="red">f</font>'],
  ])('%s → %s', (html, safe) => {
    expect(sanitizeEmailHtml(html)).toBe(safe);
  });
});

describe('htmlToText', () => {
  it('breaks lines at block ends and <br>, and separates paragraphs by one blank line', () => {
    expect(render('<div>Hi,</div><div><br></div><div>line one<br>line two</div><p>para</p><p>next</p><h2>Title</h2>end')).toBe('Hi,\n\nline one\nline two\n\npara\n\nnext\n\nTitle\n\nend');
  });

  it("reads Word's paragraphs as lines, and its empty ones as blank lines", () => {
    expect(render('<p class="MsoNormal">Hello,<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">line one<o:p></o:p></p><p class="MsoNormal">line two<o:p></o:p></p>')).toBe('Hello,\n\nline one\nline two');
  });

  it('collapses whitespace outside <pre> and keeps it inside', () => {
    expect(render('<p>  a \n  b\t c </p><pre>  x\n    y</pre>')).toBe('a b c\n\n  x\n    y');
  });

  it('decodes named and numeric entities once', () => {
    expect(render('<p>&lt;b&gt; &amp;amp; &quot;q&quot; &#39;s&#39; &#x20AC;5 &eacute;t&eacute; &hellip;</p>')).toBe('<b> &amp; "q" \'s\' €5 été …');
  });

  it('writes lists as "- " and "1. " lines', () => {
    expect(render('<p>Steps:</p><ol><li>open</li><li>click</li></ol><ul><li>a</li><li>b <b>bold</b></li></ul>')).toBe('Steps:\n\n1. open\n2. click\n\n- a\n- b bold');
  });

  it('writes blockquotes as > lines, nested ones as > > lines', () => {
    expect(render('<p>new</p><div>On Mon, Grace wrote:</div><blockquote>one<br><br>two<blockquote>older</blockquote></blockquote>')).toBe('new\n\nOn Mon, Grace wrote:\n\n> one\n>\n> two\n\n> > older');
  });

  it('shows a link address unless the words are the address, never for mailto', () => {
    expect(render('<a href="https://example.com/a?x=1&amp;y=2">docs</a> <a href="https://example.com">https://example.com</a> <a href="mailto:ada@example.com">Ada</a> <a href="https://example.com/e"></a>')).toBe('docs (https://example.com/a?x=1&y=2) https://example.com Ada https://example.com/e');
  });

  it('leaves images, scripts, styles and form controls out', () => {
    expect(render('<style>p{}</style><p>a <img src="cid:x" alt="pic"> b</p><script>x()</script><form><button>Send</button><select><option>o</option></select></form>')).toBe('a b');
  });

  it('puts table cells of a row on one line', () => {
    expect(render('<table><tr><td>Order</td><td>1042</td></tr><tr><td>Total</td><td>€49</td></tr></table>')).toBe('Order 1042\nTotal €49');
  });
});

describe('inline image references', () => {
  it('finds cid: references, lower case', () => {
    expect([...cidReferences('<img src="cid:Image001.PNG@01DA"><img src=\'cid:b\'> url(cid:c)')]).toEqual(['image001.png@01da', 'b', 'c']);
    expect(cidReferences(undefined).size).toBe(0);
  });

  it("removes Outlook's [cid:…] placeholders from text", () => {
    expect(withoutImagePlaceholders('Logo [cid:image001.png@01DA1234.56789AB0]\nText')).toBe('Logo\nText');
  });
});
