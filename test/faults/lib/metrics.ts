/** Reading Prometheus text in tests. */

/** The value of the first sample `name{…labels…}` (or `name`) in Prometheus text, or NaN. */
export function sample(text: string, name: string, labels = ''): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) return Number(m[3]);
  }
  return NaN;
}
