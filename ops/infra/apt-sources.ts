import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of apt's sources, whichever of its two formats it came from. */
export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
}

/** The classic one-line format: `deb [options] uri suite component...`. */
export function parseOneLineSources(text: string): AptSource[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').replace(/\[[^\]]*\]/, ' ').trim())
    .filter((line) => /^deb(-src)?\s/.test(line))
    .map((line) => {
      const [type, uri, suite, ...components] = line.split(/\s+/);
      return { types: [type], uris: [uri], suites: suite ? [suite] : [], components };
    });
}

/** The deb822 format of `*.sources`: stanzas of `Field: value`, continuation lines indented. */
export function parseDeb822Sources(text: string): AptSource[] {
  return text
    .split(/\n\s*\n/)
    .map((stanza) => {
      const fields: Record<string, string> = {};
      let last: string | undefined;
      for (const line of stanza.split('\n')) {
        if (line.startsWith('#') || line.trim() === '') continue;
        if (/^\s/.test(line) && last) {
          fields[last] += ` ${line.trim()}`;
          continue;
        }
        const m = /^([\w-]+):\s*(.*)$/.exec(line);
        if (!m) continue;
        last = m[1].toLowerCase();
        fields[last] = m[2];
      }
      return fields;
    })
    .filter((f) => f.types && f.uris && (f.enabled ?? 'yes').toLowerCase() !== 'no')
    .map((f) => {
      const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter(Boolean);
      return { types: words(f.types), uris: words(f.uris), suites: words(f.suites), components: words(f.components) };
    });
}

/** Every enabled source of the machine, read the way apt reads them (other suffixes are ignored). */
export function readAptSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const main = join(etcApt, 'sources.list');
  if (existsSync(main)) sources.push(...parseOneLineSources(readFileSync(main, 'utf8')));
  const dir = join(etcApt, 'sources.list.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).sort()) {
      const text = () => readFileSync(join(dir, f), 'utf8');
      if (f.endsWith('.list')) sources.push(...parseOneLineSources(text()));
      else if (f.endsWith('.sources')) sources.push(...parseDeb822Sources(text()));
    }
  }
  return sources;
}

/**
 * The Debian archive mirror the machine already uses: the first binary source that serves one of
 * `suites` (tried in order). A third-party repository never serves a Debian codename, so it is
 * never picked.
 */
export function debianMirror(sources: AptSource[], suites: string[]): string | undefined {
  for (const suite of suites) {
    const hit = sources.find((s) => s.types.includes('deb') && s.suites.includes(suite) && s.uris.length > 0);
    if (hit) return hit.uris[0].replace(/\/+$/, '');
  }
  return undefined;
}

/** The host's Debian codename (bookworm, trixie…), from /etc/os-release. */
export function hostCodename(osRelease = '/etc/os-release'): string | undefined {
  try {
    return /^VERSION_CODENAME=(\S+)$/m.exec(readFileSync(osRelease, 'utf8'))?.[1]?.replace(/"/g, '');
  } catch {
    return undefined;
  }
}
