/** The pipeline rules that changed after runPipeline shipped, as the scheduler asks them. Pure. */

/**
 * The rules that changed after runPipeline shipped. The workflow answers each with `patched(...)` at the
 * moment the decision is made, so histories recorded before a change replay on its old rule.
 */
export interface Rules {
  /** Children's idempotency keys come from the pipeline's first execution, so a reset never re-bills. */
  childKeysFromPipeline(): boolean;
  /** A reservation is freed only on the child's proof (`mayBeBilled: false`), not by failure type. */
  freeOnlyOnProof(): boolean;
  /** `onBudgetExceeded: "fail"` fails only when charged spend proves the budget short or nothing is in flight. */
  failBudgetOnlyWhenShort(): boolean;
  /** fail-fast cancels only children that have not created a FLORA run; the others finish. */
  keepPaidWork(): boolean;
  /** A resumed pipeline takes the runs its input's `reuse` offers instead of creating them. */
  reuseFromResume(): boolean;
}

/** Every rule as it is today (new histories). */
export const CURRENT_RULES: Rules = {
  childKeysFromPipeline: () => true,
  freeOnlyOnProof: () => true,
  failBudgetOnlyWhenShort: () => true,
  keepPaidWork: () => true,
  reuseFromResume: () => true,
};
/** Every rule as it was when runPipeline shipped. */
export const SHIPPED_RULES: Rules = {
  childKeysFromPipeline: () => false,
  freeOnlyOnProof: () => false,
  failBudgetOnlyWhenShort: () => false,
  keepPaidWork: () => false,
  reuseFromResume: () => false,
};
