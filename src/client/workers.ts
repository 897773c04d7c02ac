/**
 * Is any worker serving this task queue? Without one, a started workflow waits forever and a query
 * waits until the server gives up (about 30 s). Temporal's DescribeTaskQueue lists the workers that
 * polled the queue recently, per task type, so a caller can say what is wrong within seconds.
 *
 * Temporal keeps a poller in that list for a while after its last poll, so a worker that died is
 * reported gone only when the server drops it, not the moment it stops.
 */
import type { Client } from '@temporalio/client';

export interface TaskQueuePollers {
  namespace: string;
  taskQueue: string;
  /** Workers polling for workflow tasks (they run the workflows and answer queries). */
  workflowPollers: number;
  /** Workers polling for activity tasks (they call FLORA). */
  activityPollers: number;
}

/**
 * `temporal.api.enums.v1` values (TaskQueueType WORKFLOW = 1, ACTIVITY = 2; TaskQueueKind NORMAL = 1),
 * spelled out because @temporalio/proto is not one of our direct dependencies.
 */
const TaskQueueType = { WORKFLOW: 1, ACTIVITY: 2 } as const;
const TASK_QUEUE_KIND_NORMAL = 1;

/** Polls of both task types on `taskQueue`, from the server's recent-pollers list. */
export async function taskQueuePollers(client: Client, taskQueue: string): Promise<TaskQueuePollers> {
  const namespace = client.options.namespace;
  const count = async (taskQueueType: (typeof TaskQueueType)[keyof typeof TaskQueueType]) => {
    const response = await client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType,
    });
    return response.pollers?.length ?? 0;
  };
  const [workflowPollers, activityPollers] = await Promise.all([
    count(TaskQueueType.WORKFLOW),
    count(TaskQueueType.ACTIVITY),
  ]);
  return { namespace, taskQueue, workflowPollers, activityPollers };
}

/** One line saying which workers are missing and how to start one; undefined when both task types are served. */
export function missingWorkerHint(p: TaskQueuePollers): string | undefined {
  if (p.workflowPollers > 0 && p.activityPollers > 0) return undefined;
  const which =
    p.workflowPollers === 0 && p.activityPollers === 0
      ? ''
      : p.workflowPollers === 0
        ? ' for workflow tasks'
        : ' for activity tasks';
  return (
    `no worker is polling task queue ${p.taskQueue} on namespace ${p.namespace}${which}; start one with: ` +
    `FLORA_TASK_QUEUE=${p.taskQueue} TEMPORAL_NAMESPACE=${p.namespace} flora-temporal worker ` +
    `(with FLORA_API_KEY set; same TEMPORAL_ADDRESS)`
  );
}

/** The hint for `taskQueue` now; undefined when workers serve it or the server cannot be asked. */
export async function checkWorkers(client: Client, taskQueue: string): Promise<string | undefined> {
  try {
    return missingWorkerHint(await taskQueuePollers(client, taskQueue));
  } catch {
    return undefined; // no permission to describe the queue: say nothing rather than cry wolf
  }
}

/**
 * Checks now and every `intervalMs`; calls `onChange` with the hint when workers go missing and with
 * undefined when they are back. Returns a function that stops watching.
 */
export function watchWorkers(
  client: Client,
  taskQueue: string,
  onChange: (hint: string | undefined) => void,
  intervalMs = 2_000,
): () => void {
  let last: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const hint = await checkWorkers(client, taskQueue);
    if (stopped) return;
    if (hint !== last) {
      last = hint;
      onChange(hint);
    }
    timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** Runs `fn` (e.g. a query) with a deadline on its Temporal calls, so no worker means a fast failure. */
export function withDeadline<T>(client: Client, ms: number, fn: () => Promise<T>): Promise<T> {
  return client.withDeadline(Date.now() + ms, fn);
}
