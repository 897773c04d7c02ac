// Moved to src/domain/failures.ts. Re-exported for branches in flight this session: remove next session
// and import from the domain module.
export { FailureType, TRANSIENT_RUN_ERRORS } from '../domain/failures';
