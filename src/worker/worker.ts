import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { FloraClient } from '../flora/client';
import { floraConfigFromEnv } from '../flora/config';
import { temporalSettingsFromEnv } from '../config';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface FloraWorkerOptions {
  connection: NativeConnection;
  /** @default 'default' */
  namespace?: string;
  /** @default 'flora' */
  taskQueue?: string;
  /** The one FLORA client this worker's activities share. */
  flora: FloraClient;
  /** A prebuilt workflow bundle (tests build it once); by default the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker options (concurrency limits, identity, ...). */
  workerOptions?: Partial<WorkerOptions>;
}

/** A worker serving our workflows and FLORA activities on one task queue. */
export async function createFloraWorker(options: FloraWorkerOptions): Promise<Worker> {
  const {
    connection,
    namespace = 'default',
    taskQueue = 'flora',
    flora,
    workflowBundle,
    workerOptions = {},
  } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities({ flora }),
    ...workerOptions,
  });
}

/**
 * Runs a worker from the environment until SIGINT or SIGTERM: in-flight activities finish, then the
 * connection and the FLORA pool close, and the process exits 0.
 */
export async function runWorkerFromEnv(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<void> {
  const temporal = temporalSettingsFromEnv();
  const floraConfig = floraConfigFromEnv();
  for (const warning of floraConfig.warnings) log(`warning: ${warning}`);
  const flora = new FloraClient({
    baseUrl: floraConfig.baseUrl,
    apiKey: floraConfig.apiKey,
    timeoutMs: floraConfig.timeoutMs,
  });
  const connection = await NativeConnection.connect({ address: temporal.address });
  try {
    const worker = await createFloraWorker({
      connection,
      namespace: temporal.namespace,
      taskQueue: temporal.taskQueue,
      flora,
    });
    log(
      `flora-temporal worker on ${temporal.address}, namespace ${temporal.namespace}, task queue ${temporal.taskQueue}, FLORA ${floraConfig.baseUrl}`,
    );
    await worker.run();
    log('worker stopped');
  } finally {
    await connection.close();
    await flora.close();
  }
}
