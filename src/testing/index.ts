/**
 * `flora-temporal/testing`: the FLORA simulator (a real HTTP server implementing FLORA's API, API key
 * `sk_test_simulator`) for your own tests, and the shipped replay histories for your CI.
 */
export * from '../simulator';
export {
  floraHistoriesDir,
  loadFloraHistories,
  replayFloraHistories,
  type FloraHistory,
  type FloraReplayResult,
  type ReplayFloraHistoriesOptions,
} from './replay';
