/**
 * The seeded technique catalog. Ids are fixed strings (never generated) so tests, the demo and
 * pipeline definitions can name them across simulator restarts.
 */
import type { SimSlot, SimTechnique, SlotType } from './schemas';

function slot(id: string, name: string, type: SlotType, extra: Partial<SimSlot> = {}): SimSlot {
  return { id, name, type, ...extra };
}

const CORE_TECHNIQUES: SimTechnique[] = [
  {
    technique_id: 'tech_txt2img01',
    slug: 'text-to-image',
    name: 'Text to Image',
    description: 'Generate a still image from a text prompt.',
    run_cost: 0.04,
    inputs: [
      slot('prompt', 'Prompt', 'text', { description: 'What the image should show.' }),
      slot('negative_prompt', 'Negative Prompt', 'text', {
        description: 'What the image should avoid.',
        optional: true,
      }),
    ],
    outputs: [slot('image', 'Image', 'imageUrl')],
  },
  {
    technique_id: 'tech_restyle01',
    slug: 'restyle-image',
    name: 'Restyle Image',
    description: 'Redraw an image in a described style.',
    run_cost: 0.03,
    inputs: [slot('image', 'Image', 'imageUrl'), slot('style', 'Style', 'text')],
    outputs: [slot('image', 'Image', 'imageUrl')],
  },
  {
    technique_id: 'tech_img2vid01',
    slug: 'image-to-video',
    name: 'Image to Video',
    description: 'Animate a still image into a short clip.',
    run_cost: 0.25,
    inputs: [
      slot('input_image', 'Input Image', 'imageUrl'),
      slot('prompt', 'Motion Prompt', 'text', { optional: true }),
    ],
    outputs: [slot('video', 'Video', 'videoUrl')],
  },
  {
    technique_id: 'tech_cctvcam01',
    slug: 'cctv-cam',
    name: 'CCTV Cam',
    description: 'Make a photo look like a frame of security-camera footage.',
    run_cost: 0.05,
    inputs: [slot('input_image', 'Input Image', 'imageUrl')],
    outputs: [slot('image', 'Image', 'imageUrl')],
  },
  {
    technique_id: 'tech_tts01',
    slug: 'text-to-speech',
    name: 'Text to Speech',
    description: 'Read text aloud with a natural voice.',
    run_cost: 0.02,
    inputs: [slot('text', 'Text', 'text')],
    outputs: [slot('audio', 'Audio', 'audioUrl')],
  },
  {
    technique_id: 'tech_storybd01',
    slug: 'storyboard',
    name: 'Storyboard',
    description: 'Turn a scene description into three storyboard frames.',
    run_cost: 0.12,
    inputs: [slot('prompt', 'Scene', 'text')],
    outputs: [
      slot('frame_1', 'Frame 1', 'imageUrl'),
      slot('frame_2', 'Frame 2', 'imageUrl'),
      slot('frame_3', 'Frame 3', 'imageUrl'),
    ],
  },
  {
    technique_id: 'tech_caption01',
    slug: 'caption-image',
    name: 'Caption Image',
    description: 'Describe an image in one sentence.',
    run_cost: 0.01,
    inputs: [slot('image', 'Image', 'imageUrl')],
    outputs: [slot('caption', 'Caption', 'text')],
  },
  {
    technique_id: 'tech_stitch01',
    slug: 'stitch-clips',
    name: 'Stitch Clips',
    description: 'Join two or three clips into one video.',
    run_cost: 0.1,
    inputs: [
      slot('clip_1', 'Clip 1', 'videoUrl'),
      slot('clip_2', 'Clip 2', 'videoUrl'),
      slot('clip_3', 'Clip 3', 'videoUrl', { optional: true }),
    ],
    outputs: [slot('video', 'Video', 'videoUrl')],
  },
];

/** [slug, name, input types, output type, run_cost]; enough extra entries that listing needs >1 page. */
const FILLER_ROWS: ReadonlyArray<readonly [string, string, readonly SlotType[], SlotType, number]> = [
  ['upscale-image', 'Upscale Image', ['imageUrl'], 'imageUrl', 0.02],
  ['remove-background', 'Remove Background', ['imageUrl'], 'imageUrl', 0.01],
  ['colorize-photo', 'Colorize Photo', ['imageUrl'], 'imageUrl', 0.02],
  ['sketch-to-image', 'Sketch to Image', ['imageUrl', 'text'], 'imageUrl', 0.04],
  ['product-shot', 'Product Shot', ['imageUrl', 'text'], 'imageUrl', 0.06],
  ['logo-concepts', 'Logo Concepts', ['text'], 'imageUrl', 0.05],
  ['portrait-relight', 'Portrait Relight', ['imageUrl', 'text'], 'imageUrl', 0.03],
  ['outpaint-image', 'Outpaint Image', ['imageUrl', 'text'], 'imageUrl', 0.04],
  ['inpaint-image', 'Inpaint Image', ['imageUrl', 'text'], 'imageUrl', 0.04],
  ['pattern-tile', 'Seamless Pattern Tile', ['text'], 'imageUrl', 0.03],
  ['mood-board', 'Mood Board', ['text'], 'imageUrl', 0.08],
  ['film-grain', 'Film Grain Look', ['imageUrl'], 'imageUrl', 0.01],
  ['isometric-scene', 'Isometric Scene', ['text'], 'imageUrl', 0.05],
  ['pixel-art', 'Pixel Art', ['imageUrl'], 'imageUrl', 0.02],
  ['text-to-video', 'Text to Video', ['text'], 'videoUrl', 0.3],
  ['slow-motion', 'Slow Motion', ['videoUrl'], 'videoUrl', 0.15],
  ['loop-video', 'Seamless Loop', ['videoUrl'], 'videoUrl', 0.12],
  ['lip-sync', 'Lip Sync', ['videoUrl', 'audioUrl'], 'videoUrl', 0.2],
  ['music-loop', 'Music Loop', ['text'], 'audioUrl', 0.03],
  ['sound-effects', 'Sound Effects', ['text'], 'audioUrl', 0.02],
  ['voice-over', 'Voice Over', ['videoUrl', 'text'], 'videoUrl', 0.18],
  ['transcribe-audio', 'Transcribe Audio', ['audioUrl'], 'text', 0.01],
  ['summarize-document', 'Summarize Document', ['documentUrl'], 'text', 0.02],
  ['brand-guide-check', 'Brand Guide Check', ['documentUrl', 'imageUrl'], 'text', 0.03],
  ['alt-text', 'Alt Text', ['imageUrl'], 'text', 0.01],
];

const TYPE_SLOT_IDS: Record<SlotType, string> = {
  imageUrl: 'image',
  videoUrl: 'video',
  audioUrl: 'audio',
  text: 'text',
  documentUrl: 'document',
};

function slotName(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

const FILLER_TECHNIQUES: SimTechnique[] = FILLER_ROWS.map(
  ([slug, name, inputTypes, outputType, cost], index) => ({
    // Short, stable, prefix-valid ids: `tech_fill01` … `tech_fill25`.
    technique_id: `tech_fill${String(index + 1).padStart(2, '0')}`,
    slug,
    name,
    description: `${name} (simulated).`,
    run_cost: cost,
    inputs: inputTypes.map((type) => slot(TYPE_SLOT_IDS[type], slotName(TYPE_SLOT_IDS[type]), type)),
    outputs: [slot('result', 'Result', outputType)],
  }),
);

export const DEFAULT_CATALOG: readonly SimTechnique[] = Object.freeze([
  ...CORE_TECHNIQUES,
  ...FILLER_TECHNIQUES,
]);
