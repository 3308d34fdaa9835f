/**
 * The website picks any colour; the text on it must still meet WCAG AA. Of black and white, at least one
 * always reaches 4.5:1 against any colour, so the widget takes whichever contrasts more.
 */

const HEX = /^#[0-9a-f]{6}$/i;

/** The website's colour when it is a plain `#rrggbb` (it goes into a style sheet), else the default. */
export function safeColor(color: string): string {
  return HEX.test(color) ? color : '#2563eb';
}

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(color: string): number {
  const channel = (offset: number): number => {
    const value = parseInt(color.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Black or white, whichever is more readable on `background`. */
export function textOn(background: string): string {
  return contrast(background, '#ffffff') >= contrast(background, '#000000') ? '#ffffff' : '#000000';
}

/**
 * The colour of links, focus rings and stars drawn on the panel's white: the website's colour when it is
 * readable on white (4.5:1, so it also serves for text), else near-black.
 */
export function accentOnWhite(color: string): string {
  return contrast(color, '#ffffff') >= 4.5 ? color : '#1f2937';
}
