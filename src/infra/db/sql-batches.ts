import type { MikroORM } from '@mikro-orm/core';
import { knex, type AbstractSqlConnection, type Knex } from '@mikro-orm/knex';
import type { Logger } from '../logger';
import { readCommittedSession } from './orm-options';

/** One SQL statement with `?` placeholders, filled in by the driver. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** The raw connection both drivers hand out (mariadb/callback and mysql2): same callback `query`. */
interface RawConnection {
  query(sql: string, values: unknown[], done: (error: Error | null, result: unknown) => void): void;
  destroy(): void;
}

export interface BatchTransaction {
  /** Sends the statements in one packet inside the transaction (the first packet also opens it); one result per statement. */
  send(statements: readonly Statement[]): Promise<unknown[]>;
  /** `send` with COMMIT at the end of the same packet: the transaction ends with it. */
  sendAndCommit(statements: readonly Statement[]): Promise<unknown[]>;
}

/**
 * Statements sent several to a packet, on a pool of its own. Why: at a trickle the relay and the
 * consumer spend most of their CPU per round trip, not per row (bench/README.md: at 100 msg/s a
 * loopback socket write alone cost ~90 µs, ten of them per message, plus the ORM's and query
 * builder's work per statement). A claim was BEGIN, SELECT, UPDATE, COMMIT as four round trips;
 * here it is two packets; the consumer's transaction is one.
 *
 * Multi-statement packets need the driver's `multipleStatements`, which would also let an
 * injected string run a second statement. It is switched on for this pool only, which runs the
 * relay's and consumer's fixed statements (values always bound through placeholders), never the
 * request-facing queries of the ORM's pool. The pool is the ORM's own knex client class and
 * connection options (same driver, types, UTC dates, READ COMMITTED sessions), so rows come back
 * exactly as `em.execute` returns them, and driver errors are converted into the ORM's exception
 * classes, so callers tell a duplicate key, a deadlock or a lost connection apart as before.
 */
export interface SqlBatches {
  /** Autocommit statements in one packet (each atomic on its own); one result per statement. */
  run(statements: readonly Statement[]): Promise<unknown[]>;
  /**
   * One transaction on one connection. Committed when `work` returns (unless it already did
   * with `sendAndCommit`); rolled back when it throws, and the connection is dropped when even
   * the rollback fails, so no connection goes back to the pool inside a transaction.
   */
  transaction<T>(work: (tx: BatchTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const joined = (statements: readonly Statement[]) => ({
  sql: statements.map((s) => s.sql).join(';\n'),
  params: statements.flatMap((s) => s.params),
});

const BEGIN: Statement = { sql: 'START TRANSACTION', params: [] };
const COMMIT: Statement = { sql: 'COMMIT', params: [] };
const ROLLBACK: Statement = { sql: 'ROLLBACK', params: [] };

export const createSqlBatches = (orm: MikroORM, options: { poolMax: number; logger?: Logger }): SqlBatches => {
  const ormConnection = orm.em.getConnection() as AbstractSqlConnection;
  const client: Knex = knex({
    client: ormConnection.getKnex().client.constructor as Knex.Config['client'],
    connection: { ...ormConnection.getConnectionOptions(), multipleStatements: true } as Knex.StaticConnectionConfig,
    pool: { min: 0, max: options.poolMax, afterCreate: readCommittedSession },
  });
  const convert = (error: unknown) => (error instanceof Error ? orm.em.getDriver().convertException(error) : error);
  // Each statement is logged as the ORM logs its own (DATABASE_DEBUG), so the bench's statement
  // counts stay whole. The packet's time goes to its first statement that is not BEGIN or COMMIT
  // (the one that did the work: the bench sums times by kind of statement), 0 to the others.
  const logged = (statements: readonly Statement[], startedAt: number) => {
    if (!options.logger) return;
    const tookMs = Date.now() - startedAt;
    const worker = Math.max(
      0,
      statements.findIndex((s) => s !== BEGIN && s !== COMMIT && s !== ROLLBACK),
    );
    for (const [index, s] of statements.entries())
      options.logger.debug(
        `[query] ${s.sql.replace(/\s+/g, ' ').trim()} [took ${index === worker ? tookMs : 0} ms, packet of ${statements.length}]`,
      );
  };

  const send = (connection: RawConnection, statements: readonly Statement[]): Promise<unknown[]> => {
    const { sql, params } = joined(statements);
    const startedAt = Date.now();
    return new Promise<unknown[]>((resolve, reject) => {
      connection.query(sql, params, (error, result) => {
        logged(statements, startedAt);
        if (error) reject(convert(error));
        // One statement answers with its result, several with one result each.
        else resolve(statements.length === 1 ? [result] : (result as unknown[]));
      });
    });
  };

  const withConnection = async <T>(work: (connection: RawConnection) => Promise<T>): Promise<T> => {
    let connection: RawConnection;
    try {
      connection = (await client.client.acquireConnection()) as RawConnection;
    } catch (error) {
      throw convert(error);
    }
    try {
      return await work(connection);
    } finally {
      await client.client.releaseConnection(connection);
    }
  };

  return {
    run: (statements) => withConnection((connection) => send(connection, statements)),

    transaction: (work) =>
      withConnection(async (connection) => {
        let open = false;
        let committed = false;
        const tx: BatchTransaction = {
          async send(statements) {
            if (committed) throw new Error('transaction already committed');
            const opens = !open;
            // Open from here on even when the packet fails: a failed statement after BEGIN leaves
            // the transaction open, and a second BEGIN would commit it implicitly.
            open = true;
            const results = await send(connection, opens ? [BEGIN, ...statements] : statements);
            return opens ? results.slice(1) : results;
          },
          async sendAndCommit(statements) {
            const results = await tx.send([...statements, COMMIT]);
            committed = true;
            return results.slice(0, -1);
          },
        };
        try {
          const result = await work(tx);
          if (open && !committed) await send(connection, [COMMIT]);
          return result;
        } catch (error) {
          // A failed statement in a packet leaves the transaction open (InnoDB rolls back only
          // that statement, and a lock wait timeout not even the transaction) with the rest
          // of the packet, COMMIT included, not run.
          await send(connection, [ROLLBACK]).catch(() => connection.destroy());
          throw error;
        }
      }),

    close: () => client.destroy(),
  };
};
