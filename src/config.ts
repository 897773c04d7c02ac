/**
 * Transitional: the Temporal connection config lives in src/temporal/config.ts. This re-export keeps the
 * CLI's imports (src/cli/connect.ts, src/cli/demo-session.ts) working until they import it from there;
 * then this file and the `config` row of the layer table go.
 */
export { connectionOptions, describeTemporal, temporalSettingsFromEnv } from './temporal/config';
