/**
 * Technique schemas for the pipeline unit tests (plan, scheduler, reuse), which plan against schemas
 * instead of fetching them from FLORA.
 */
import type { SlotInfo, TechniqueInfo } from '../../src/domain/technique';

export const slot = (id: string, type: string, optional = false): SlotInfo => ({
  id,
  name: id,
  type,
  optional,
});

export const technique = (
  slug: string,
  runCost: number,
  inputs: SlotInfo[],
  outputs: SlotInfo[],
): TechniqueInfo => ({
  techniqueId: `tech_${slug}`,
  slug,
  name: slug,
  description: undefined,
  runCost,
  inputs,
  outputs,
});

/** Text to image, restyle, image to video, caption, storyboard (two frames): a small catalog with prices. */
export const SCHEMAS: Record<string, TechniqueInfo> = {
  t2i: technique('t2i', 0.04, [slot('prompt', 'text')], [slot('image', 'imageUrl')]),
  style: technique(
    'style',
    0.03,
    [slot('image', 'imageUrl'), slot('style', 'text')],
    [slot('image', 'imageUrl')],
  ),
  i2v: technique('i2v', 0.25, [slot('input_image', 'imageUrl')], [slot('video', 'videoUrl')]),
  cap: technique('cap', 0.01, [slot('video', 'videoUrl')], [slot('text', 'text')]),
  board: technique('board', 0.12, [slot('prompt', 'text')], [slot('f1', 'imageUrl'), slot('f2', 'imageUrl')]),
};
