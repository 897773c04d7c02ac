/** A resume's output check (src/pipelines/reuse-check.ts): what is asked, and what the answer means. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isExpiredAnswer, NO_ANSWER, outputsToCheck, reuseChecks } from '../../src/pipelines/reuse-check';
import type { ReuseOffer } from '../../src/pipelines/scheduler';
import type { StepState } from '../../src/pipelines/wire';

const step = (id: string) => ({ id }) as unknown as StepState;
const offers: ReuseOffer[] = [
  {
    step: step('poster'),
    runs: [
      {
        index: 0,
        runId: 'run_a',
        chargedUsd: 0.04,
        outputs: [
          { outputId: 'img', type: 'imageUrl', url: 'https://x.test/a.png' },
          { outputId: 'caption', type: 'text', url: 'a fox' },
        ],
        localFiles: [{ outputId: 'img', file: 'p/a.png' }],
      },
    ],
  },
  {
    step: step('clip'),
    runs: [
      {
        index: 0,
        runId: 'run_b',
        chargedUsd: 0.2,
        outputs: [{ outputId: 'v', type: 'videoUrl', url: 'https://x.test/b.mp4' }],
      },
      {
        index: 1,
        runId: 'run_c',
        chargedUsd: 0.2,
        outputs: [{ outputId: 'v', type: 'videoUrl', url: 'https://x.test/c.mp4' }],
      },
    ],
  },
];

describe('the reused-output expiry rule', () => {
  test('only an HTTP 4xx answer means expired', () => {
    for (const problem of ['HTTP 403 Forbidden', 'HTTP 404', 'HTTP 410 Gone', 'HTTP 499'])
      assert.equal(isExpiredAnswer(problem), true, problem);
    for (const problem of [
      'HTTP 500',
      'HTTP 503 Service Unavailable',
      'getaddrinfo ENOTFOUND x.test',
      'timeout',
      'http 404',
      ' HTTP 404',
    ])
      assert.equal(isExpiredAnswer(problem), false, problem);
  });

  test('one request: every URL output (not text) and every saved file, in offer and run order', () => {
    assert.deepEqual(outputsToCheck(offers), {
      urls: ['https://x.test/a.png', 'https://x.test/b.mp4', 'https://x.test/c.mp4'],
      files: ['p/a.png'],
    });
  });

  test('per run: 4xx outputs expired, other problems unchecked (taken, noted), saved copies that exist', () => {
    const checks = reuseChecks(offers, {
      urls: ['HTTP 410 Gone', null, 'connect ECONNREFUSED'],
      files: [true],
    });
    assert.deepEqual(checks, [
      [
        {
          expired: [{ outputId: 'img', url: 'https://x.test/a.png', problem: 'HTTP 410 Gone' }],
          unchecked: [],
          localFiles: [{ outputId: 'img', file: 'p/a.png' }],
        },
      ],
      [
        { expired: [], unchecked: [], localFiles: [] },
        {
          expired: [],
          unchecked: [{ outputId: 'v', url: 'https://x.test/c.mp4', problem: 'connect ECONNREFUSED' }],
          localFiles: [],
        },
      ],
    ]);
  });

  test('no answer (the check could not be made): nothing expired, no saved copy counted', () => {
    const checks = reuseChecks(offers, NO_ANSWER);
    for (const run of checks.flat()) assert.deepEqual(run, { expired: [], unchecked: [], localFiles: [] });
    assert.deepEqual(reuseChecks(offers, { urls: ['HTTP 404'], files: [false] })[0], [
      {
        expired: [{ outputId: 'img', url: 'https://x.test/a.png', problem: 'HTTP 404' }],
        unchecked: [],
        localFiles: [],
      },
    ]);
  });
});
