/**
 * FLORA activity names. Workflows started since the `PrefixedActivityNames` patch schedule every FLORA
 * activity as `flora.<name>` (`flora.createRun`), so flora's activities can share a worker with a team's
 * own without a silent name collision; earlier executions keep their unprefixed names on replay. Pure:
 * shared by the workflows (scheduling) and the activities (registration).
 */
export const FLORA_ACTIVITY_PREFIX = 'flora.';

/** `createRun` → `flora.createRun`. */
export function prefixedActivityName(name: string): string {
  return `${FLORA_ACTIVITY_PREFIX}${name}`;
}
