import { readFileSync } from 'node:fs';

// Where a CPU profile's time went (`node --cpu-prof` writes one .cpuprofile per thread): self
// time by place — our files, each npm package, Node's internals, GC — and the top functions.
// Usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The place a frame belongs to: an npm package, a project file, node internals, or V8's own. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const own = /\/(?:dist\/)?((?:lib|workers|activities|workflows|bench|simulator|cli)\/.*)$/.exec(url);
  return own ? own[1].replace(/\.js$/, '') : url;
}

export function summarizeProfile(profile: CpuProfile, top = 25): { totalMs: number; byPlace: [string, number][]; byFunction: [string, number][] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const place = placeOf(url, functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${place}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, v / 1000] as [string, number]);
  return { totalMs: total / 1000, byPlace: sorted(byPlace), byFunction: sorted(byFunction) };
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary <file.cpuprofile> [top]');
    process.exit(2);
  }
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(top ?? 25));
  const pct = (ms: number) => `${((100 * ms) / s.totalMs).toFixed(1).padStart(5)} %`;
  console.log(`busy (not idle): ${s.totalMs.toFixed(0)} ms\n\nby place`);
  for (const [k, ms] of s.byPlace) console.log(`${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${k}`);
  console.log('\nby function (self time)');
  for (const [k, ms] of s.byFunction) console.log(`${pct(ms)}  ${ms.toFixed(0).padStart(7)} ms  ${k}`);
}
