import sanitizeHtml from 'sanitize-html';

const LINK = /^(?:https?|mailto):/i;
const IMAGE = /^(?:cid|https):/i;
const CELL = ['colspan', 'rowspan', 'align', 'valign', 'width'];

/**
 * Built once: formatting, tables, links that go to the web or to an address, and images that are
 * either the mail's own inline parts (`cid:`) or on https. No script, style, form, frame, event
 * handler or inline CSS survives. Content-IDs are lower-cased as the parsed attachments' are, so a
 * `cid:` reference finds its image by plain comparison.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'font', 'center'],
  allowedAttributes: {
    '*': ['dir', 'lang', 'class', 'title'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    font: ['color', 'size'],
    ol: ['start', 'type'],
    table: ['border', 'cellpadding', 'cellspacing', 'width'],
    td: CELL,
    th: CELL,
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['cid', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'button', 'select', 'iframe', 'object', 'svg'],
  transformTags: {
    a: (tagName, attribs) => {
      const { href, target: _target, rel: _rel, ...rest } = attribs;
      const link = href?.trim() ?? '';
      return { tagName, attribs: LINK.test(link) ? { ...rest, href: link, target: '_blank', rel: 'noopener noreferrer nofollow' } : rest };
    },
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      const source = src?.trim();
      if (source === undefined || !IMAGE.test(source)) return { tagName, attribs: rest };
      return { tagName, attribs: { ...rest, src: /^cid:/i.test(source) ? source.toLowerCase() : source } };
    },
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
};

/** The HTML part, safe to show to agents. */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}

/** The `[cid:image001.png@01DA…]` placeholders Outlook and the HTML-to-text rendering leave where an inline image was. */
export function withoutImagePlaceholders(text: string): string {
  return text.replace(/[ \t]?\[cid:[^\]\s]*\]/gi, '');
}

/** The `cid:` references of the HTML, normalized like Content-IDs. */
export function cidReferences(html: string | undefined): Set<string> {
  const references = new Set<string>();
  for (const match of (html ?? '').matchAll(/\bcid:([^"'\s)>]+)/gi)) references.add((match[1] ?? '').toLowerCase());
  return references;
}
