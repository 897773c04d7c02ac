/**
 * `flora-temporal`: the client library. Start and follow flora-temporal workflows from any Temporal
 * client (Node only; from workflow code import `flora-temporal/workflows`).
 */
export * from './client';
