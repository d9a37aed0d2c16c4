/** Kafka: Java check and the broker's jars from Maven Central, cached outside the repo. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env } from './config';
import { log, StackError } from './log';
import { KAFKA_POM } from './paths';
import { lastLines, run, runWithProgress, which, type RunResult } from './proc';

interface KafkaCache {
  dir: string;
  libs: string;
  marker: string;
}

export const KAFKA_VERSION = '3.9.1';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

function kafkaCache(): KafkaCache {
  const base = env('XDG_CACHE_HOME', path.join(os.homedir(), '.cache'));
  const dir = path.join(base, 'agent-relay', `kafka-${KAFKA_VERSION}`);
  return { dir, libs: path.join(dir, 'libs'), marker: path.join(dir, 'complete.json') };
}

export function ensureJava() {
  const result = run('java', ['-version'], { timeout: 30_000 });
  if (result.error?.code === 'ENOENT') {
    throw new StackError(
      'java not found on PATH — the local Kafka broker needs Java 11+ (e.g. apt-get install openjdk-17-jre-headless), or use Docker',
    );
  }
  const said = result.output.trim().split('\n').slice(0, 2).join(' / ') || result.error?.message;
  if (!result.ok) throw new StackError(`\`java -version\` failed (check JAVA_TOOL_OPTIONS / the JDK install): ${said}`);
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.output);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= 11))
    throw new StackError(`Kafka ${KAFKA_VERSION} needs Java 11+, but \`java -version\` says: ${said}`);
}

/** True when an earlier fetch for this exact pom completed. */
function cacheComplete(cache: KafkaCache, pomHash: string) {
  try {
    const marker = JSON.parse(fs.readFileSync(cache.marker, 'utf8')) as { pomHash?: string };
    return marker.pomHash === pomHash && fs.readdirSync(cache.libs).some((f) => f.startsWith('kafka_2.13-'));
  } catch {
    return false; // no (valid) marker: fetch
  }
}

function fetchFailure(result: Omit<RunResult, 'stdout'>) {
  // eslint-disable-next-line no-control-regex -- strips ANSI colour codes (ESC [ ... m) from Maven's output
  const output = result.output.replace(/\x1b\[[0-9;]*m/g, '');
  const offline =
    /UnknownHost|Connection refused|timed out|Network is unreachable|Could not transfer|Could not resolve|could not be resolved|No plugin found|Connect to .* failed|proxy/i.test(
      output,
    );
  const cause = offline
    ? 'Maven could not download from Maven Central (network/proxy? see ~/.m2/settings.xml)'
    : `mvn exited with ${result.status ?? result.error?.message}`;
  return new StackError(
    `fetching Kafka jars failed: ${cause}; fix it and rerun \`npm run stack:up\``,
    lastLines(output, 20),
  );
}

async function fetchKafkaJars(cache: KafkaCache, pomHash: string) {
  if (!which('mvn')) {
    throw new StackError(
      `Maven (mvn) not found — it is needed once to fetch the Kafka ${KAFKA_VERSION} jars from Maven Central; install it (apt-get install maven) or use Docker`,
    );
  }
  // A half-finished earlier attempt may have left jars behind; start from nothing.
  fs.rmSync(cache.dir, { recursive: true, force: true });
  fs.mkdirSync(cache.libs, { recursive: true });
  log(`fetching Kafka ${KAFKA_VERSION} jars from Maven Central (first run only, ~10–30 s)…`);
  // Full plugin coordinates: the `dependency:` prefix would need plugin metadata from Central
  // even when the plugin is already in ~/.m2, and would float to whatever version is newest.
  const args = [
    '-q',
    '-B',
    '-Dstyle.color=never',
    '-f',
    KAFKA_POM,
    `${DEPENDENCY_PLUGIN}:copy-dependencies`,
    `-DoutputDirectory=${cache.libs}`,
  ];
  const result = await runWithProgress('mvn', args, 'still fetching Kafka jars');
  if (!result.ok) throw fetchFailure(result);
  const jars = fs.readdirSync(cache.libs).filter((f) => f.endsWith('.jar'));
  if (!jars.some((f) => f.startsWith(`kafka_2.13-${KAFKA_VERSION}`)))
    throw new StackError(`Maven finished but ${cache.libs} has no kafka_2.13-${KAFKA_VERSION}.jar`);
  fs.writeFileSync(
    cache.marker,
    `${JSON.stringify({ version: KAFKA_VERSION, pomHash, jars: jars.length, at: new Date().toISOString() }, null, 2)}\n`,
  );
  log(`Kafka jars cached in ${cache.libs} (${jars.length} jars)`);
}

/** The directory of Kafka jars (the classpath), fetching them on first use. */
export async function ensureKafkaJars() {
  const cache = kafkaCache();
  // Keyed on the pom's content so a version bump in scripts/kafka/pom.xml re-fetches.
  const pomHash = createHash('sha256').update(fs.readFileSync(KAFKA_POM)).digest('hex');
  if (!cacheComplete(cache, pomHash)) await fetchKafkaJars(cache, pomHash);
  return cache.libs;
}
