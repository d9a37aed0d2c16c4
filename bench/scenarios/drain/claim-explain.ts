import { candidateParams, CANDIDATES_SQL } from '../../../src/tooling';
import type { SqlRunner } from '../../lib/sql';

interface ExplainRow {
  id: number;
  select_type: string;
  table: string;
  type: string;
  key: string | null;
  rows: number | string | null;
  Extra: string | null;
}

interface AnalyzedTable {
  r_rows?: number;
  r_table_time_ms?: number;
  r_engine_stats?: { pages_accessed?: number };
}

interface Analyzed {
  query_block?: {
    r_total_time_ms?: number;
    nested_loop?: { table?: AnalyzedTable }[];
    subqueries?: {
      expression_cache?: {
        r_loops?: number;
        r_hit_ratio?: number;
        query_block?: { r_loops?: number; r_total_time_ms?: number };
      };
    }[];
  };
}

const round = (value: number | undefined) => (value === undefined ? null : Number(value.toFixed(2)));

/**
 * The relay's claim query as the server plans and runs it over the seeded backlog: EXPLAIN,
 * and ANALYZE (MariaDB executes it and reports rows read and time per step). Runs in
 * autocommit, so the FOR UPDATE locks end with the statement.
 */
export const explainClaim = async (sql: SqlRunner, batchSize: number) => {
  const params = candidateParams(new Date(), batchSize);
  const plan = (await sql.query<ExplainRow>(`EXPLAIN ${CANDIDATES_SQL}`, params)).map((r) => ({
    id: r.id,
    selectType: r.select_type,
    table: r.table,
    type: r.type,
    key: r.key,
    rows: Number(r.rows),
    extra: r.Extra,
  }));
  const started = performance.now();
  await sql.query(CANDIDATES_SQL, params);
  const claimSelectMs = performance.now() - started;
  const [analyzedRow] = await sql.query<Record<string, string>>(`ANALYZE FORMAT=JSON ${CANDIDATES_SQL}`, params);
  const analyzed = JSON.parse(Object.values(analyzedRow ?? {})[0] ?? '{}') as Analyzed;
  const block = analyzed.query_block;
  const outer = block?.nested_loop?.[0]?.table;
  const cache = block?.subqueries?.[0]?.expression_cache;
  return {
    batchSize,
    plan,
    claimSelectMs: round(claimSelectMs),
    analyze: {
      totalMs: round(block?.r_total_time_ms),
      outerRows: outer?.r_rows ?? null,
      outerPagesAccessed: outer?.r_engine_stats?.pages_accessed ?? null,
      outerTableMs: round(outer?.r_table_time_ms),
      subqueryEvaluations: cache?.r_loops ?? null,
      subqueryCacheHitPercent: cache?.r_hit_ratio ?? null,
      subqueryExecutions: cache?.query_block?.r_loops ?? null,
      subqueryMs: round(cache?.query_block?.r_total_time_ms),
    },
  };
};

export type ClaimExplain = Awaited<ReturnType<typeof explainClaim>>;

export const describeClaim = (c: ClaimExplain) => {
  const a = c.analyze;
  const plan = c.plan.map((p) => `${p.selectType} ${p.table} via ${p.key} (${p.type})`).join(', ');
  return `Claim query on the full backlog (LIMIT ${c.batchSize}): plan ${plan}; one run ${c.claimSelectMs} ms; ANALYZE ${a.totalMs} ms, ${a.outerRows} outer rows (${a.outerPagesAccessed} pages, ${a.outerTableMs} ms), dependent subquery evaluated ${a.subqueryEvaluations}× (${a.subqueryCacheHitPercent} % expression-cache hits, ${a.subqueryExecutions} executions, ${a.subqueryMs} ms).`;
};
