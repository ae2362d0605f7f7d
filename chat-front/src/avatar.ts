/**
 * Avatars drawn locally: the member's initials on a colour chosen from a hash of the member id, as an
 * inline SVG element. No image host, no data: URL, nothing a CSP has to allow; the initials go in
 * through textContent like every other piece of text.
 */
const SVG = 'http://www.w3.org/2000/svg';

/** FNV-1a over the UTF-16 code units: stable, fast, spreads short ids well. */
export function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** sRGB channels (0-1) of an HSL colour (h in degrees, s and l in 0-1). */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [f(0), f(8), f(4)];
}

/** WCAG contrast ratio of white on an sRGB colour. */
export function contrastWithWhite([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  return 1.05 / (lum + 0.05);
}

/**
 * Background colour for a member id: one of 360 hues, at a saturation and lightness from the hash,
 * darkened where needed (yellows and greens) until the white initials have 4.5:1 contrast.
 */
export function colourFor(id: string): string {
  const h = hash(id);
  const hue = h % 360;
  const sat = 55 + (h >>> 9) % 20;
  let light = 38 + (h >>> 17) % 10;
  while (light > 20 && contrastWithWhite(hslToRgb(hue, sat / 100, light / 100)) < 4.5) light--;
  return `hsl(${hue} ${sat}% ${light}%)`;
}

/** Up to two initials (first letters of the first and last words), as a person would write them. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]][0] ?? '?';
  const last = words.length > 1 ? [...words[words.length - 1]][0] ?? '' : [...words[0]][1] ?? '';
  return (first + last).toUpperCase();
}

/** An SVG avatar element for a member (decorative: the name is always shown beside it). */
export function avatar(member: { id: string; name: string }, size = 36): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 40 40');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('class', 'avatar');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const circle = document.createElementNS(SVG, 'circle');
  circle.setAttribute('cx', '20');
  circle.setAttribute('cy', '20');
  circle.setAttribute('r', '20');
  circle.setAttribute('fill', colourFor(member.id));
  const text = document.createElementNS(SVG, 'text');
  text.setAttribute('x', '20');
  text.setAttribute('y', '20');
  text.setAttribute('dy', '0.35em');
  text.setAttribute('text-anchor', 'middle');
  text.setAttribute('fill', '#fff');
  text.setAttribute('font-size', '15');
  text.setAttribute('font-weight', '600');
  text.textContent = initials(member.name);
  svg.append(circle, text);
  return svg;
}
