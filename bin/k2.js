#!/usr/bin/env node
// The k2 command runs the compiled code; `npm run build` (or any npm script) produces it.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli', 'k2.js');
if (!existsSync(entry)) {
  console.error('k2: not built yet; run `npm run build` (npm start and npm test build it too)');
  process.exit(1);
}
require(entry).main(process.argv);
