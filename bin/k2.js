#!/usr/bin/env node
// The k2 command runs the compiled code; `npm run build` (or any npm script) produces it.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const entry = join(dist, 'cli', 'k2.js');
if (!existsSync(entry)) {
  console.error('k2: not built yet; run `npm run build` (npm start and npm test build it too)');
  process.exit(1);
}
// `k2 worker` must start with its memory bounds (node flags and environment). Decided before the
// CLI loads its modules: if this process relaunches the worker, it stays as its supervisor, and
// everything loaded here would cost memory for the worker's whole life.
const relaunched = process.argv[2] === 'worker' && require(join(dist, 'workers', 'worker-launch.js')).relaunchWithBounds(process.argv);
if (!relaunched) require(entry).main(process.argv);
