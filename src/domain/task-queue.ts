/**
 * The task queue flora-temporal's workers poll, and the one the client library, the CLI and the worker
 * use unless told otherwise (FLORA_TASK_QUEUE, `taskQueue` options).
 */
export const DEFAULT_TASK_QUEUE = 'flora';
