/**
 * Every `patched()` id our workflows use, in one place. A shipped workflow changes its command sequence
 * only behind one of these; test/replay.test.ts checks that each id has a recorded history that takes the
 * new path and a `straddle-*` history that started on the code before the patch and finished on the code
 * after it. Never rename or remove an id while histories that carry it may still run.
 *
 * Pure constants: safe in workflow code.
 */
export const Patches = {
  /** runTechnique and runPipeline write the memo (technique, price, charge) and the FloraRunId search attribute. */
  MemoAndSearchAttributes: 'flora-memo-and-search-attributes-v1',
  /** runTechnique: wait 10–30 s (options.recreateDelayMs) before re-creating after a transient run failure. */
  RecreateBackoff: 'transient-recreate-backoff-v1',
  /** runTechnique: a poll 404 on a fresh run is retried for a grace period, then once on the canonical route. */
  PollNotFoundGrace: 'poll-not-found-grace-v1',
  /** runTechnique: a 401/403 on a poll of a run that exists is retried until the deadline. */
  PollAuthRetry: 'poll-auth-retry-v1',
  /** runTechnique: 409 adoption bounded in time, by technique and by a checked owner; re-lists before failing. */
  AdoptionBounds: 'adoption-bounded-window-v1',
  /** runTechnique: progress reports go out from a cancelled scope too (a child cancelled mid-create). */
  CancelReportsRun: 'cancel-reports-run-id-v1',
  /** runTechnique: a failed download returns the completed result with `downloadError`. */
  DownloadKeepsResult: 'download-error-keeps-result-v1',
  /** runPipeline: children's idempotency keys from the pipeline's first execution, step and index (a reset never re-bills). */
  PipelineChildKeys: 'pipeline-child-keys-from-first-execution-v1',
  /** runPipeline: a reservation is freed only on a child's `mayBeBilled: false`, not by failure type. */
  PipelineFreeOnProof: 'pipeline-free-reservation-on-proof-v1',
  /** runPipeline: the raiseBudget signal never lowers the budget, and one sent with the start is kept. */
  PipelineRaiseBudgetNeverLowers: 'pipeline-raise-budget-never-lowers-v1',
  /** runPipeline: `onBudgetExceeded: "fail"` decides only when charged spend proves the budget short or nothing is in flight. */
  PipelineBudgetFailWhenShort: 'pipeline-budget-fail-when-short-v1',
  /** runPipeline: fail-fast cancels only children without a FLORA run; the others finish and keep their outputs. */
  PipelineKeepPaidWork: 'pipeline-fail-fast-keeps-paid-runs-v1',
  /**
   * FLORA activities are scheduled as `flora.<name>` (`flora.createRun`, ...) instead of `<name>`, so they
   * cannot collide with a team's own activities on a shared worker. Workers register both names.
   */
  PrefixedActivityNames: 'flora-prefixed-activity-names-v1',
  /** runTechnique (a pipeline's child): progress signals only for a new run id, and at most every 10 s. */
  CoalescedChildProgress: 'pipeline-child-progress-coalesced-v1',
  /**
   * runPipeline: a resumed execution (its input's `reuse`, from `startPipeline(..., { resume: true })`)
   * checks the offered runs' outputs (`checkOutputs`) and takes them instead of creating them.
   */
  PipelineResume: 'pipeline-resume-reuses-paid-runs-v1',
  /**
   * runTechnique, runs created with a `callback_url`: the wait before a poll ends early on the
   * `floraRunEvent` signal (a FLORA webhook said the run ended), and one poll confirms.
   */
  WebhookWake: 'flora-webhook-wake-v1',
  /**
   * runPipeline: after `runsPerExecution` (500) child runs, or 8,000 history events, it launches nothing
   * more, waits for the runs in flight, and continues as new with each step's ended runs summed.
   */
  PipelineBatches: 'pipeline-continue-as-new-between-batches-v1',
  /**
   * runTechnique: each poll is a local activity run in the workflow task its timer wakes (one workflow
   * task and ~6 history events per poll instead of two tasks and ~11 events), unless
   * `options.pollMode: 'activity'`. Executions recorded before it keep scheduling the regular activity.
   */
  LocalPoll: 'flora-poll-local-activity-v1',
  /**
   * runTechnique: the wait before each poll is predicted from `estimated_seconds` and the observed rate of
   * `progress` (near pollMaxMs far from the end, near pollMinMs around it), jittered inside [min, max].
   */
  PredictiveCadence: 'flora-predictive-cadence-v1',
  /**
   * runTechnique with `options.activityTaskQueue`: every poll is a regular activity on that queue, like the
   * run's other FLORA requests, never a local activity. The workflow worker then makes no FLORA request (it
   * needs no FLORA client or key, and a worker without the FLORA activities no longer fails its workflow
   * task on the first poll), and the queue's rate limit covers every FLORA request of the run. Executions
   * recorded before it keep their local polls.
   */
  PollsOnActivityQueue: 'flora-polls-on-activity-task-queue-v1',
  /**
   * runTechnique, runs created with a `callback_url`: polling is the fallback for a lost callback, so the
   * wait before a poll is near `pollMaxMs` (jittered) instead of aimed at the predicted end, where a poll
   * only races the callback; near `pollMinMs` after a callback its poll did not confirm.
   */
  WebhookFallbackCadence: 'flora-webhook-fallback-cadence-v1',
  /**
   * runTechnique, runs created with a `callback_url`: when a poll the callback did not wake finds the run
   * ended, the workflow ends in the next workflow task (after a 1 ms timer), not in the poll's own. A
   * callback landing while that poll runs used to fail the task (UNHANDLED_COMMAND: the server refuses to
   * close a workflow with a new signal), which threw the poll's result away and polled again.
   */
  WebhookEndInNextTask: 'flora-webhook-end-in-next-task-v1',
  /**
   * runPipeline, a resume whose batch fills up while a run it took from the earlier execution follows
   * one that never started: that run is carried as it is (`ContinuedStep.endedAfterGap`) and the
   * execution continues as new. Before, the carry was refused and the execution ran every remaining run
   * itself, towards Temporal's history limit. Asked only in that case.
   */
  PipelineCarryGaps: 'pipeline-carry-runs-after-a-gap-v1',
  /**
   * runTechnique, runs created with a `callback_url`: polling is a sparse fallback. The wait before a poll
   * is near `options.fallbackPollMaxMs` (30 s by default, never below `pollMaxMs`) instead of near
   * `pollMaxMs`, except one poll aimed 5 s past the predicted end (a lost callback is caught early) and the
   * quick poll after a callback its poll did not confirm. Asked only on callback runs.
   */
  WebhookSparseFallback: 'flora-webhook-sparse-fallback-v1',
  /**
   * runTechnique, runs FLORA does not call back about: each wait before a poll is shortened by the measured overhead of a poll cycle (the time
   * between two polls' workflow tasks less the wait asked for: task dispatch, the poll's HTTP time, the
   * task's completion), smoothed per execution, so the gap FLORA sees is the one the cadence aimed at and
   * stays under pollMaxMs under load. Still within [pollMinMs, pollMaxMs]. Asked once there is a
   * correction to make; executions recorded before it wait as they did.
   */
  CadenceCorrectsOverhead: 'flora-cadence-corrects-overhead-v1',
  /**
   * runTechnique: asked once, first thing in each execution (src/workflows/run-patches.ts). True (an
   * execution that began on this code) stands for every id of LEAN_RUN_IMPLIES, which are then not asked:
   * no marker, and no `TemporalChangeVersion` search-attribute upsert the SDK adds per marker (2 history
   * events per id). And the schema read (`getTechnique`) is a local activity in the first workflow task,
   * unless the run names an `activityTaskQueue` or `pollMode: 'activity'`. A fresh default run writes 17
   * history events besides its polls instead of 28 (docs/workflows.md, "History").
   */
  LeanRun: 'flora-lean-run-v1',
  /**
   * runTechnique, where the overhead correction applies: the measured cycle overhead only caps a wait (so
   * wait + overhead stays within pollMaxMs) instead of coming off every wait; a wait already short enough,
   * as the far jitter and a landing wait mostly are, is kept as aimed (fewer polls, the same gap ceiling).
   * Implied by LeanRunV2, so a fresh run writes no marker for it; asked on its own by older executions.
   */
  CadenceCapsOverhead: 'flora-cadence-caps-overhead-v1',
  /**
   * runTechnique: asked first thing in each execution, before LeanRun (src/workflows/run-patches.ts). True
   * (an execution that began on this code) stands for everything LeanRun stands for plus the ids of
   * LEAN_RUN_V2_IMPLIES added since, with no marker for them: a fresh run writes the same 17 fixed events.
   * False (an execution that began before it) asks LeanRun as before.
   */
  LeanRunV2: 'flora-lean-run-v2',
} as const;
export type PatchId = (typeof Patches)[keyof typeof Patches];

/**
 * The runTechnique patches an execution that took `Patches.LeanRun` has taken, without asking. FROZEN: this
 * list can never change once shipped. A history recorded with the lean marker carries none of these
 * markers, so removing an id would replay it on the old path, and adding one would skip the marker of a
 * patch that an execution which took LeanRun before that id existed never took. A patch added after
 * LeanRun is asked on its own, like any patch. (test/replay.test.ts holds a copy to catch a change.)
 */
export const LEAN_RUN_IMPLIES: readonly PatchId[] = Object.freeze([
  Patches.MemoAndSearchAttributes,
  Patches.RecreateBackoff,
  Patches.PollNotFoundGrace,
  Patches.PollAuthRetry,
  Patches.AdoptionBounds,
  Patches.CancelReportsRun,
  Patches.DownloadKeepsResult,
  Patches.PrefixedActivityNames,
  Patches.CoalescedChildProgress,
  Patches.WebhookWake,
  Patches.LocalPoll,
  Patches.PredictiveCadence,
  Patches.PollsOnActivityQueue,
  Patches.WebhookFallbackCadence,
  Patches.WebhookEndInNextTask,
  Patches.WebhookSparseFallback,
  Patches.CadenceCorrectsOverhead,
]);

/**
 * The runTechnique patches an execution that took `Patches.LeanRunV2` has taken, without asking: all of
 * LEAN_RUN_IMPLIES, LeanRun's own behaviour (the schema read as a local activity), and the patches added
 * between LeanRun and LeanRunV2. FROZEN like LEAN_RUN_IMPLIES (test/replay.test.ts holds a copy); a later
 * change is asked on its own, or brought by a LeanRunV3 with a list of its own.
 */
export const LEAN_RUN_V2_IMPLIES: readonly PatchId[] = Object.freeze([
  ...LEAN_RUN_IMPLIES,
  Patches.CadenceCapsOverhead,
]);
