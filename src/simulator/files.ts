/**
 * The output files of completed runs, served at `/files/runs/{run_id}/{output_id}.{ext}`. The bytes
 * are a pure function of run id and output id (same request, same bytes, across restarts with a
 * seed), small (a few KB) and shaped like the real format, so a downloader's hashing, content-type
 * handling and file naming can be checked end to end.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { ApiError } from './errors';
import type { SimResponse } from './http-io';
import { runStateAt } from './lifecycle';
import { Prng } from './random';
import { FILE_EXTENSIONS } from './runs';
import type { SlotType } from './schemas';
import type { SimulatorState } from './state';

export const FILE_CONTENT_TYPES: Record<Exclude<SlotType, 'text'>, string> = {
  imageUrl: 'image/png',
  videoUrl: 'video/mp4',
  audioUrl: 'audio/mpeg',
  documentUrl: 'application/pdf',
};

function seededPrng(runId: string, outputId: string): Prng {
  return new Prng(createHash('sha256').update(`${runId}/${outputId}`).digest().readUInt32BE(0));
}

function randomBytes(prng: Prng, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) out[i] = Math.floor(prng.next() * 256);
  return out;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A real, decodable 32×32 RGB PNG of seeded noise. */
function png(prng: Prng): Buffer {
  const size = 32;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  const stride = 1 + size * 3;
  const pixels = Buffer.alloc(size * stride);
  // Byte 0 of every scanline stays 0: filter type "none".
  for (let row = 0; row < size; row += 1) randomBytes(prng, size * 3).copy(pixels, row * stride + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function mp4Box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
}

/** An ISO-BMFF `ftyp` box, then an `mdat` box of seeded bytes: what `file` calls an MP4. */
function mp4(prng: Prng): Buffer {
  const brands = Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1');
  return Buffer.concat([mp4Box('ftyp', brands), mp4Box('mdat', randomBytes(prng, 4096))]);
}

/** An empty ID3v2.4 tag, then ten MPEG-1 Layer III frames (128 kb/s, 44.1 kHz: 417 bytes each). */
function mp3(prng: Prng): Buffer {
  const parts: Buffer[] = [Buffer.from('ID3\x04\0\0\0\0\0\0', 'latin1')];
  for (let i = 0; i < 10; i += 1) {
    parts.push(Buffer.from([0xff, 0xfb, 0x90, 0x64]), randomBytes(prng, 417 - 4));
  }
  return Buffer.concat(parts);
}

/** A one-page PDF that says which run and output it is, with a correct xref table. */
function pdf(runId: string, outputId: string): Buffer {
  const text = `Simulated output ${outputId} of ${runId}`.replace(/[\\()]/g, (c) => `\\${c}`);
  const stream = `BT /F1 14 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xrefAt = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) out += `${String(offset).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** The bytes and content-type of one output file. */
export function simulatedFile(
  runId: string,
  outputId: string,
  type: Exclude<SlotType, 'text'>,
): { contentType: string; bytes: Buffer } {
  const prng = seededPrng(runId, outputId);
  const bytes = {
    imageUrl: () => png(prng),
    videoUrl: () => mp4(prng),
    audioUrl: () => mp3(prng),
    documentUrl: () => pdf(runId, outputId),
  }[type]();
  return { contentType: FILE_CONTENT_TYPES[type], bytes };
}

/** `GET /files/runs/{run_id}/{file}`: 200 with the file, 404 unless the run completed with that output, 410 once expired. */
export function serveFile(state: SimulatorState, params: Record<string, string>): SimResponse {
  const runId = params.runId ?? '';
  const file = params.file ?? '';
  const notFound = ApiError.notFound(`No output file ${file} for run "${runId}".`);
  const run = state.runs.get(runId);
  if (!run) throw notFound;
  if (state.filesExpired(run)) {
    throw ApiError.gone(
      `The URL of ${file} (run ${runId}) has expired. Poll the run or re-run the technique for a fresh URL.`,
    );
  }
  // Outputs exist only once a run completes, exactly as the poll response shows them.
  if (runStateAt(run, state.now()).status !== 'completed') throw notFound;
  const slot = run.technique.outputs.find(
    (s) => s.type !== 'text' && `${s.id}.${FILE_EXTENSIONS[s.type]}` === file,
  );
  if (!slot || slot.type === 'text') throw notFound;
  const { contentType, bytes } = simulatedFile(runId, slot.id, slot.type);
  return { status: 200, body: undefined, bytes, headers: { 'content-type': contentType } };
}
