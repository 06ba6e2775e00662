import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../../lib/paths';
import { withProgress } from './progress';
import { isRecordAlive, logFileFor, ProcessRecord, startDetached } from './process-control';
import { httpOk, InfraError, waitUntil } from './readiness';
import { runCommand } from './run-command';

export const APICURIO_VERSION = '3.3.3';

export interface RegistryOptions {
  host: string;
  port: number;
  managementPort: number;
}

export const registryDefaults: RegistryOptions = { host: '127.0.0.1', port: 8081, managementPort: 8082 };

const bundleDir = join(cacheDir, 'apicurio');

export function registryUrl(o: RegistryOptions): string {
  return `http://${o.host}:${o.port}/apis/ccompat/v7`;
}

/** Apicurio 3.3 is compiled for Java 21, so the machine's default Java 17 cannot run it. */
export function findJava21(): string {
  const candidates = [process.env.JAVA21_HOME, process.env.JAVA_HOME].filter((d): d is string => !!d);
  if (existsSync('/usr/lib/jvm')) candidates.push(...readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d)));
  for (const home of candidates) {
    try {
      const release = readFileSync(join(home, 'release'), 'utf8');
      const major = Number(/JAVA_VERSION="(\d+)/.exec(release)?.[1]);
      if (major >= 21 && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
    } catch {
      // not a JDK folder
    }
  }
  throw new InfraError('schema-registry', 'Apicurio Registry needs Java 21 or newer; none found (set JAVA21_HOME)');
}

export async function installRegistry(): Promise<void> {
  if (existsSync(join(bundleDir, '.complete')) && existsSync(join(bundleDir, 'quarkus-run.jar'))) return;
  mkdirSync(bundleDir, { recursive: true });
  // Without a project the plugin keeps its "already unpacked" markers under a literal
  // `${project.basedir}` in its working directory and then skips the unpack; a fresh
  // working directory in the cache keeps them out of the repo and never stale.
  const workDir = join(cacheDir, 'apicurio-unpack');
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const unpack = runCommand(
    'schema-registry',
    'mvn',
    [
      '-B',
      '-q',
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack',
      `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
      `-DoutputDirectory=${bundleDir}`,
    ],
    { logFile: logFileFor('schema-registry-install'), cwd: workDir },
  );
  await withProgress(`fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central`, 20, unpack);
  if (!existsSync(join(bundleDir, 'quarkus-run.jar'))) {
    throw new InfraError('schema-registry', `unpacked bundle has no quarkus-run.jar in ${bundleDir}`, logFileFor('schema-registry-install'));
  }
  writeFileSync(join(bundleDir, '.complete'), new Date().toISOString());
}

export function registryReady(o: RegistryOptions): Promise<boolean> {
  return httpOk(`${registryUrl(o)}/subjects`);
}

export async function startRegistry(o: RegistryOptions): Promise<ProcessRecord> {
  const java = findJava21();
  const record = startDetached(
    'schema-registry',
    java,
    [
      '-Xmx512m',
      `-Dquarkus.http.host=${o.host}`,
      `-Dquarkus.http.port=${o.port}`,
      `-Dquarkus.management.host=${o.host}`,
      `-Dquarkus.management.port=${o.managementPort}`,
      '-Djava.util.logging.manager=org.jboss.logmanager.LogManager',
      // Confluent's default; Apicurio's own default is NONE.
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      '-Dquarkus.log.level=WARN',
      '-jar',
      join(bundleDir, 'quarkus-run.jar'),
    ],
    { cwd: bundleDir },
  );
  await waitUntil('schema-registry', () => registryReady(o), {
    timeoutMs: 60_000,
    alive: () => isRecordAlive(record),
    logFile: record.logFile,
  });
  return record;
}
