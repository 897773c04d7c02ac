// Moved to src/domain/search-attribute-keys.ts. Re-exported for branches in flight this session: remove
// next session and import from the domain module.
export * from '../domain/search-attribute-keys';
