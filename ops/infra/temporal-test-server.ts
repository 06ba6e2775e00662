import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, projectRoot } from '../../lib/paths';
import { withProgress } from './progress';
import { logFileFor } from './process-control';
import { runCommand } from './run-command';

// Temporal's Java time-skipping test server for TestWorkflowEnvironment.createTimeSkipping: the
// jars from Maven Central (a pom and copy-dependencies, as for Kafka), a loopback main compiled
// once, and a wrapper script the SDK starts as `<script> <port>`.

const home = join(cacheDir, 'temporal-test-server');
const libDir = join(home, 'lib');
const classesDir = join(home, 'classes');
const sourceDir = join(projectRoot, 'ops', 'infra', 'temporal-test-server');

/** The executable TestWorkflowEnvironment starts (`existing-path`). */
export const testServerScript = join(home, 'test-server.sh');

/**
 * The wrapper execs java, so the SDK's child.kill() reaches the JVM. A small heap, C1 only and
 * the serial collector start it in about a second: the SDK gives a test server 5 s.
 */
export function testServerWrapper(): string {
  return [
    '#!/bin/sh',
    '# Written by ops/infra/temporal-test-server.ts.',
    `exec java -Xms64m -Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '${classesDir}:${libDir}/*' LoopbackTestServer "$@"`,
    '',
  ].join('\n');
}

/** Fetches the jars and compiles the loopback main once (again when the pom or the main change). */
export async function installTestServer(): Promise<string> {
  const done = join(home, '.complete');
  const sources = ['pom.xml', 'LoopbackTestServer.java'].map((f) => readFileSync(join(sourceDir, f), 'utf8')).join('\n');
  const digest = createHash('sha256').update(sources).update(testServerWrapper()).digest('hex');
  if (existsSync(done) && readFileSync(done, 'utf8') === digest) return testServerScript;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(classesDir, { recursive: true });
  const logFile = logFileFor('temporal-test-server-install');
  const work = (async () => {
    await runCommand(
      'temporal-test-server',
      'mvn',
      ['-B', '-q', '-f', join(sourceDir, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`],
      { logFile },
    );
    await runCommand('temporal-test-server', 'javac', ['-d', classesDir, '-cp', `${libDir}/*`, join(sourceDir, 'LoopbackTestServer.java')], { logFile });
  })();
  await withProgress('fetching the Temporal time-skipping test server from Maven Central', 20, work);
  writeFileSync(testServerScript, testServerWrapper());
  chmodSync(testServerScript, 0o755);
  writeFileSync(done, digest);
  return testServerScript;
}
