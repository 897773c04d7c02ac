// Moved to src/domain/activity-names.ts. Re-exported for branches in flight this session: remove next
// session and import from the domain module.
export * from '../domain/activity-names';
