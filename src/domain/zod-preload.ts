/**
 * Loaded once into the workflow sandbox before any workflow exists (src/worker/bundle-options.ts), so that
 * zod's modules are shared by every cached workflow instead of evaluated again for each one.
 *
 * The SDK freezes whatever is preloaded. zod sets two global defaults lazily, its English locale and its
 * memoizer, when the first schema (and the first container schema) is built; a workflow building one
 * after the freeze would fail to set them. Building an object schema here sets both while they still can
 * be set. Our own schemas are not preloaded: zod materializes their methods on first use, which a frozen
 * schema refuses.
 */
import { z } from 'zod';

export const ZOD_DEFAULTS_SET = z.object({ ready: z.boolean() });
