/**
 * What the bench runs: the load matrix for `--quick` and the full run, the capacity ladder, and the
 * mixed run lengths.
 *
 * Run lengths are drawn log-uniformly between 5 s and 10 min (real generative runs: most short, a long
 * tail), then compressed linearly into [5 s, maxRunMs] so a cell of the matrix ends in minutes. The
 * poll cadence is never compressed (except in the 6-hour run): a gap is a real gap.
 */
import { Prng } from '../src/simulator/random';
import type { SystemName } from './worker-protocol';

export interface Plan {
  name: 'quick' | 'full';
  /** Concurrent runs per cell. */
  loads: number[];
  /** Systems measured at only some of `loads` (the others at all of them; at all of them too if none is in `loads`). */
  loadsFor: Partial<Record<string, readonly number[]>>;
  /**
   * The matrix runs the plain loop at once with this system's batch, each N (when both are measured): the
   * loop uses no Temporal server and a few percent of one core, so a minute of the plan is not spent on it
   * alone. Its runs use another technique, so each batch counts its own create requests.
   */
  loopBeside?: SystemName;
  /** Systems this plan runs only when asked for (`--systems` names them, or `--tuning` for flora-tuned). */
  optIn: readonly string[];
  /** The longest (compressed) run, in ms. */
  maxRunMs: number;
  /** Each cell this many times; medians reported, with the range. */
  repeat: number;
  /**
   * The capacity scenario: N runs of exactly `runMs` each, for `systems`, N up the ladder `loads`. A system
   * not in `fullLadder` stops climbing after the first N that misses the target (a larger N cannot be its
   * largest); `fullLadder` systems run every rung (the issue asks for flora's 1,000-run row).
   */
  capacity: { loads: number[]; runMs: number; systems: readonly string[]; fullLadder: readonly string[] };
  /**
   * Worker SIGKILL: runs of `runMs` per system, all systems at once, each killed `killAfterMs` after its
   * runs started plus `staggerMs` × its place in the list (so the restarts do not overlap).
   */
  kill: { runs: number; runMs: number; killAfterMs: number; staggerMs: number; systems: readonly string[] };
  /** The 6-hour run, with time (run length and cadence) divided by `compression`; one run per system, all at once. */
  long: { compression: number; systems: readonly string[] };
}

export const REAL_MIN_MS = 5_000;
export const REAL_MAX_MS = 600_000;
/** The baselines' fixed poll interval (FLORA asks for 2–5 s; the plain loop polls every 2 s). */
export const BASELINE_INTERVAL_MS = 2_000;
/** Heartbeat timeout of the frequent-polling activity: five missed 2 s heartbeats. */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

export const PLANS: Record<Plan['name'] | 'smoke', Plan> = {
  /** Seconds, not minutes: proves the harness end to end (npm test runs it). */
  smoke: {
    name: 'quick',
    loads: [4],
    loadsFor: {},
    optIn: [],
    loopBeside: 'flora-webhook',
    maxRunMs: 6_000,
    repeat: 1,
    capacity: { loads: [3], runMs: 6_000, systems: ['flora', 'flora-activity'], fullLadder: ['flora'] },
    kill: { runs: 3, runMs: 8_000, killAfterMs: 3_000, staggerMs: 2_000, systems: ['flora', 'loop'] },
    long: { compression: 7_200, systems: ['flora'] },
  },
  /** Under 3 minutes: one load, every system, the kill and the long run for flora's two poll modes. */
  quick: {
    name: 'quick',
    loads: [40],
    loadsFor: {},
    optIn: [],
    maxRunMs: 8_000,
    repeat: 1,
    capacity: { loads: [30], runMs: 10_000, systems: ['flora', 'flora-activity'], fullLadder: ['flora'] },
    kill: { runs: 6, runMs: 10_000, killAfterMs: 3_000, staggerMs: 2_000, systems: ['flora'] },
    long: { compression: 3_600, systems: ['flora', 'flora-activity'] },
  },
  full: {
    name: 'full',
    loads: [100, 300, 600, 1_000],
    /** One load for the alternative tuning: the A/B at the load the scale goal names. */
    loadsFor: { 'flora-tuned': [600] },
    /**
     * The tuning A/B is asked for (`--tuning NAME`, or `--systems` naming flora-tuned): it has measured the
     * same answer in every full run so far (100 workflow task slots: gap p95 7.3 vs 5.9 s on 2026-11-28,
     * 5.7 vs 5.2 s on 2026-11-29 at N = 600), and its batch cost 107 s of a plan that must stay under 45 min.
     */
    optIn: ['flora-tuned'],
    loopBeside: 'flora-webhook',
    maxRunMs: 60_000,
    repeat: 1,
    capacity: {
      loads: [300, 600, 1_000],
      runMs: 60_000,
      systems: ['flora', 'flora-activity'],
      fullLadder: ['flora'],
    },
    kill: {
      runs: 30,
      runMs: 45_000,
      killAfterMs: 15_000,
      staggerMs: 5_000,
      systems: ['flora', 'frequent', 'infrequent', 'loop'],
    },
    long: { compression: 240, systems: ['flora', 'flora-activity', 'frequent', 'infrequent'] },
  },
};

/** `n` run lengths in ms, the same for every system at a given load (seeded by n). */
export function runLengths(n: number, maxRunMs: number): number[] {
  const prng = new Prng(0xbe4c4 ^ n);
  const scale = (maxRunMs - REAL_MIN_MS) / (REAL_MAX_MS - REAL_MIN_MS);
  return Array.from({ length: n }, () => {
    const real = REAL_MIN_MS * (REAL_MAX_MS / REAL_MIN_MS) ** prng.next();
    return Math.round(REAL_MIN_MS + (real - REAL_MIN_MS) * scale);
  });
}

/** FLORA requests a perfect poller needs: one create, then a poll every 5 s until done. */
export function floorRequests(durationMs: number): number {
  return 1 + Math.ceil(durationMs / 5_000);
}
