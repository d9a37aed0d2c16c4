/**
 * `.ci/run`'s count over Jest's JSON reports (`npm test -- --json-dir .ci/out`):
 *
 *   node --import tsx scripts/ci-report.ts .ci/out/main.json .ci/out/mysql.json .ci/out/faults.json
 *
 * prints `passed failed broken` on one line; what is broken is explained on stderr. Broken counts
 * what Jest itself reports as passing or does not count as a failed test:
 * - a suite that failed outside its tests (it did not load, a hook threw);
 * - a run that found no tests. scripts/run-tests.ts passes `--passWithNoTests` to the MySQL-driver
 *   and fault runs (so `npm test -- test/unit` may narrow them to nothing), but CI runs everything:
 *   a second pass or fault suite that ran zero tests has tested nothing and must not pass.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The part of Jest's `--json` report this reads. */
export interface JestReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numTotalTests: number;
  readonly testResults: readonly {
    readonly name: string;
    readonly status: string;
    readonly message?: string;
    readonly assertionResults: readonly { readonly status: string }[];
  }[];
}

export interface CiCount {
  readonly passed: number;
  readonly failed: number;
  readonly broken: number;
  readonly problems: readonly string[];
}

export const countReports = (reports: readonly { readonly name: string; readonly report: JestReport }[]): CiCount => {
  let passed = 0;
  let failed = 0;
  let broken = 0;
  const problems: string[] = [];
  for (const { name, report } of reports) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    if (report.numTotalTests === 0) {
      broken += 1;
      problems.push(`the ${name} run found no tests: it passed with --passWithNoTests but tested nothing`);
    }
    for (const suite of report.testResults) {
      if (suite.status !== 'failed' || suite.assertionResults.some((a) => a.status === 'failed')) continue;
      broken += 1;
      problems.push(`suite failed outside its tests: ${suite.name}\n${(suite.message ?? '').slice(0, 2000)}`);
    }
  }
  return { passed, failed, broken, problems };
};

const main = (files: readonly string[]) => {
  const reports = files.map((file) => ({
    name: path.basename(file, '.json'),
    report: JSON.parse(fs.readFileSync(file, 'utf8')) as JestReport,
  }));
  const { passed, failed, broken, problems } = countReports(reports);
  for (const problem of problems) console.error(problem);
  console.log(`${passed} ${failed} ${broken}`);
};

if (require.main === module) main(process.argv.slice(2));
