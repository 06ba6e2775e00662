import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

// lib/ holds what the workers run, so a newcomer can trust that every module in it is on the
// path of a trade, a deployment or a validation. Command-line, benchmark and soak helpers live
// next to their users (cli/, ops/, bench/, soak/); this test keeps it that way.

const root = resolve(__dirname, '../..');
// What the worker processes load: the stream worker, the deployer and the workflow bundle.
const entries = ['workers/stream-worker.ts', 'workers/deployer.ts', 'workflows/index.ts'].map((f) => join(root, f));

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(f) && statSync(f).isFile());
}

function reachable(): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const dep = resolveImport(file, fileName);
      if (dep) todo.push(dep);
    }
  }
  return seen;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

test('every module in lib/ is loaded by a worker process', () => {
  const run = reachable();
  const strays = tsFiles(join(root, 'lib'))
    .filter((f) => !run.has(f))
    .map((f) => relative(root, f));
  expect(strays).toEqual([]);
});

test('the production worker registers no test fixture', () => {
  const run = reachable();
  expect([...run].map((f) => relative(root, f)).filter((f) => f.startsWith('test/'))).toEqual([]);
});
