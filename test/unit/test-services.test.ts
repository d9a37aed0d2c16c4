import {
  containerSpec,
  kafkaContainerEnv,
  planTestServices,
  resolveTestServices,
  TestServicesError,
  type ContainerSpec,
  type TestServicesEffects,
} from '../support/test-services';

const DB = 'mariadb://root@db.example:3306/agent_relay';
const REDIS = 'redis://redis.example:6379';
const KAFKA = 'kafka.example:9092';

const docker = (answers: boolean) => {
  const ask = jest.fn(() => answers);
  return ask;
};

/** Effects that record what would have been started; containers answer on host "docker-host". */
const fakeEffects = (dockerAnswers: boolean, stackHandsOver: Record<string, string> = {}) => {
  const containers: ContainerSpec[] = [];
  const stackRuns: Record<string, string | undefined>[] = [];
  let nextPort = 40_000;
  const effects: TestServicesEffects = {
    dockerAnswers: () => dockerAnswers,
    freePort: async () => 39_500,
    startContainer: async (spec) => {
      containers.push(spec);
      return { host: 'docker-host', port: spec.fixedHostPort ?? (nextPort += 1) };
    },
    stackUp: (env) => {
      stackRuns.push({ ...env });
      return stackHandsOver;
    },
  };
  return { effects, containers, stackRuns };
};

const expectError = (run: () => unknown, code: string) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TestServicesError);
    expect((error as TestServicesError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
};

describe('test services: the plan', () => {
  it('uses every given URL and never asks Docker when all three are set', () => {
    const ask = docker(true);
    const plan = planTestServices({ DATABASE_URL: DB, REDIS_URL: REDIS, KAFKA_BROKERS: KAFKA }, ask);
    expect(plan.services).toEqual({
      DATABASE_URL: { from: 'env', value: DB },
      REDIS_URL: { from: 'env', value: REDIS },
      KAFKA_BROKERS: { from: 'env', value: KAFKA },
    });
    expect(ask).not.toHaveBeenCalled();
  });

  it('keeps a set DATABASE_URL on its own with Docker: containers only for what is missing', () => {
    const plan = planTestServices({ DATABASE_URL: `mysql://root@mysql8.example:3306/x` }, docker(true));
    expect(plan.services).toEqual({
      DATABASE_URL: { from: 'env', value: 'mysql://root@mysql8.example:3306/x' },
      REDIS_URL: { from: 'container', container: 'redis' },
      KAFKA_BROKERS: { from: 'container', container: 'kafka' },
    });
  });

  it('takes each missing service from the stack script when Docker is absent or switched off', () => {
    const stack = { from: 'stack' };
    expect(planTestServices({ KAFKA_BROKERS: KAFKA }, docker(false)).services).toEqual({
      DATABASE_URL: stack,
      REDIS_URL: stack,
      KAFKA_BROKERS: { from: 'env', value: KAFKA },
    });
    const ask = docker(true);
    expect(planTestServices({ TEST_USE_DOCKER: '0' }, ask).services.DATABASE_URL).toEqual(stack);
    expect(ask).not.toHaveBeenCalled();
  });

  it('treats an empty or blank variable as unset', () => {
    expect(planTestServices({ DATABASE_URL: '  ', REDIS_URL: REDIS, KAFKA_BROKERS: KAFKA }, docker(true))).toEqual({
      services: {
        DATABASE_URL: { from: 'container', container: 'mariadb' },
        REDIS_URL: { from: 'env', value: REDIS },
        KAFKA_BROKERS: { from: 'env', value: KAFKA },
      },
      mysqlDriver: false,
    });
  });

  it('TEST_DATABASE=mysql8 picks the mysql:8.4 container', () => {
    const plan = planTestServices({ TEST_DATABASE: 'mysql8', REDIS_URL: REDIS, KAFKA_BROKERS: KAFKA }, docker(true));
    expect(plan.services.DATABASE_URL).toEqual({ from: 'container', container: 'mysql8' });
  });

  it('TEST_DATABASE=mysql8 refuses what would quietly test another server', () => {
    expectError(
      () => planTestServices({ TEST_DATABASE: 'mysql8', DATABASE_URL: DB }, docker(true)),
      'TEST_SERVICES_CONFLICT',
    );
    expectError(() => planTestServices({ TEST_DATABASE: 'mysql8' }, docker(false)), 'TEST_SERVICES_NO_DOCKER');
    expectError(
      () => planTestServices({ TEST_DATABASE: 'mysql8', TEST_USE_DOCKER: '0' }, docker(true)),
      'TEST_SERVICES_NO_DOCKER',
    );
  });

  it('rejects unknown TEST_DATABASE and TEST_DATABASE_DRIVER values', () => {
    expectError(() => planTestServices({ TEST_DATABASE: 'mysql' }, docker(true)), 'TEST_SERVICES_UNKNOWN_OPTION');
    expectError(
      () => planTestServices({ TEST_DATABASE_DRIVER: 'mariadb-ish' }, docker(true)),
      'TEST_SERVICES_UNKNOWN_OPTION',
    );
  });
});

describe('test services: the containers', () => {
  it('mysql8 is mysql:8.4 reached through mysql:// (the MySQL driver)', () => {
    const spec = containerSpec('mysql8', 0);
    expect(spec.image).toBe('mysql:8.4');
    expect(spec.url('localhost', 32_768)).toBe('mysql://root@localhost:32768/agent_relay');
    // The real server's line, not the initialisation server's (port 0) nor the X plugin's (33060).
    const real =
      "/usr/sbin/mysqld: ready for connections. Version: '8.4.3'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.";
    expect(spec.ready.log.test(real)).toBe(true);
    expect(spec.ready.log.test(real.replace('port: 3306', 'port: 0'))).toBe(false);
    expect(
      spec.ready.log.test(
        "X Plugin ready for connections. Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock",
      ),
    ).toBe(false);
  });

  it('mariadb stays the default container, through mariadb://', () => {
    expect(containerSpec('mariadb', 0).url('localhost', 1)).toBe('mariadb://root@localhost:1/agent_relay');
  });

  it('Kafka listens and advertises on the free host port it is given, never 9092', () => {
    const spec = containerSpec('kafka', 39_123);
    expect(spec).toMatchObject({ port: 39_123, fixedHostPort: 39_123 });
    expect(spec.url('anything', 1)).toBe('127.0.0.1:39123');
    const env = kafkaContainerEnv(39_123);
    expect(env).toMatchObject({
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://0.0.0.0:39123,CONTROLLER://127.0.0.1:39124',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:39123',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@127.0.0.1:39124',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
    });
    expect(JSON.stringify(env)).not.toMatch(/:9092\b/);
  });
});

describe('test services: carrying the plan out', () => {
  it('a set DATABASE_URL survives a Docker run untouched; only Redis and Kafka are started', async () => {
    const { effects, containers, stackRuns } = fakeEffects(true);
    const urls = await resolveTestServices({ DATABASE_URL: DB }, effects);
    expect(urls).toEqual({
      DATABASE_URL: DB,
      REDIS_URL: 'redis://docker-host:40001',
      KAFKA_BROKERS: '127.0.0.1:39500',
    });
    expect(containers.map((c) => c.image)).toEqual(['redis:7', 'apache/kafka:3.9.1']);
    expect(stackRuns).toEqual([]);
  });

  it('TEST_DATABASE=mysql8 with Docker: a mysql:8.4 container and a mysql:// URL', async () => {
    const { effects, containers } = fakeEffects(true);
    const urls = await resolveTestServices(
      { TEST_DATABASE: 'mysql8', REDIS_URL: REDIS, KAFKA_BROKERS: KAFKA },
      effects,
    );
    expect(containers.map((c) => c.image)).toEqual(['mysql:8.4']);
    expect(urls).toEqual({
      DATABASE_URL: 'mysql://root@docker-host:40001/agent_relay',
      REDIS_URL: REDIS,
      KAFKA_BROKERS: KAFKA,
    });
  });

  it('without Docker: the stack script runs with the given URLs and hands over the missing ones', async () => {
    const { effects, containers, stackRuns } = fakeEffects(false, {
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/agent_relay',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: '127.0.0.1:9092',
    });
    const urls = await resolveTestServices({ REDIS_URL: REDIS }, effects);
    expect(urls).toEqual({
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/agent_relay',
      REDIS_URL: REDIS,
      KAFKA_BROKERS: '127.0.0.1:9092',
    });
    expect(containers).toEqual([]);
    expect(stackRuns).toHaveLength(1);
    // The stack sees the given URL (and reuses that server) and no made-up database URL: it picks the scheme itself.
    expect(stackRuns[0]).toMatchObject({ REDIS_URL: REDIS });
    expect(stackRuns[0]?.['DATABASE_URL']).toBeUndefined();
  });

  it('a stack that hands over nothing for a missing service is an error, not a default', async () => {
    const { effects } = fakeEffects(false, { REDIS_URL: REDIS });
    await expect(resolveTestServices({ KAFKA_BROKERS: KAFKA }, effects)).rejects.toMatchObject({
      code: 'TEST_SERVICES_STACK_INCOMPLETE',
    });
  });

  it('TEST_DATABASE_DRIVER=mysql rewrites whichever database URL to mysql://', async () => {
    const all = { REDIS_URL: REDIS, KAFKA_BROKERS: KAFKA };
    const given = await resolveTestServices(
      { ...all, DATABASE_URL: DB, TEST_DATABASE_DRIVER: 'mysql' },
      fakeEffects(true).effects,
    );
    expect(given.DATABASE_URL).toBe('mysql://root@db.example:3306/agent_relay');
    const started = await resolveTestServices({ ...all, TEST_DATABASE_DRIVER: 'mysql' }, fakeEffects(true).effects);
    expect(started.DATABASE_URL).toBe('mysql://root@docker-host:40001/agent_relay');
  });
});
