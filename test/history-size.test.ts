/**
 * What a run costs in history events besides its polls (issue 11: a 60 s run of 12 polls in at most 90
 * events). A poll writes 6 (its timer started and fired, one workflow task's three events, the local
 * activity's marker); everything else is the run's fixed part, which `flora-lean-run-v1` brings from 28 to at
 * most 18 (30 on the code just before it, whose runs ask 5 patches from their second poll on): one patch marker standing for the older ones, and the schema read as a local activity in the
 * first workflow task. Counted on real histories: a fresh run on the dev server, and the fixture recorded on
 * the code before the patch (which must count more, or this test could not fail).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { FAST, type Harness } from './helpers/env';
import { useWorkflowTests } from './helpers/workflow-tests';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The goal: a fresh run's events besides its polls. */
const MAX_FIXED_EVENTS = 18;
const EVENTS_PER_POLL = 6;

let h: Harness;
const { startTechnique: start } = useWorkflowTests('hs', (harness) => {
  h = harness;
});

/** The local activity markers of the polls (`flora.pollRunOnce`) in a history. */
function pollMarkers(events: HistoryEvent[]): number {
  return events.filter((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (e.eventType !== EventType.EVENT_TYPE_MARKER_RECORDED || marker?.markerName !== 'core_local_activity')
      return false;
    const data = marker.details?.data?.payloads?.[0]?.data;
    return data !== undefined && data !== null && Buffer.from(data).toString('utf8').includes('pollRunOnce');
  }).length;
}

/** Events besides the polls: total − 6 per poll. */
function fixedEvents(events: HistoryEvent[]): number {
  return events.length - EVENTS_PER_POLL * pollMarkers(events);
}

describe('history events per run', { timeout: 120_000 }, () => {
  test(`a fresh default run writes at most ${MAX_FIXED_EVENTS} events besides its polls`, async () => {
    h.sim.setRunDuration(1_500);
    const handle = await start({ technique: 'text-to-image', inputs: { prompt: 'fox' }, options: FAST });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    const events = (await handle.fetchHistory()).events ?? [];
    assert.equal(pollMarkers(events), result.polls, 'every poll is one local activity marker');
    assert.ok(result.polls >= 2, `polled ${result.polls} times`);
    const fixed = fixedEvents(events);
    assert.ok(
      fixed <= MAX_FIXED_EVENTS,
      `${fixed} events besides ${result.polls} polls (${events.length} in all): at most ${MAX_FIXED_EVENTS}`,
    );
    // One lean marker and no other (flora-lean-run-v2 stands for flora-cadence-caps-overhead-v1 too).
    const patches = events
      .filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED &&
          e.markerRecordedEventAttributes?.markerName === 'core_patch',
      )
      .map((e) => {
        const data = e.markerRecordedEventAttributes?.details?.['patch-data']?.payloads?.[0]?.data;
        return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { id?: string }).id : undefined;
      });
    assert.deepEqual(patches, ['flora-lean-run-v2']);
    // 12 polls (a 60 s run at the 5 s ceiling) stay within issue 11's 90 events.
    assert.ok(fixed + 12 * EVENTS_PER_POLL <= 90);
    // No regular activity but the create: the schema read ran in the first workflow task.
    const scheduled = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
    assert.deepEqual(scheduled, ['flora.createRun']);
    assert.equal(h.sim.stats().requests.getTechnique, 1);
  });

  test('the same count on a history recorded before flora-lean-run-v1 exceeds it (the check has teeth)', async () => {
    const file = join(__dirname, 'fixtures', 'histories', 'overhead-completed-nested.json');
    const old = historyFromJSON(JSON.parse(await readFile(file, 'utf8'))).events ?? [];
    assert.ok(pollMarkers(old) >= 1);
    assert.ok(fixedEvents(old) > MAX_FIXED_EVENTS, `${fixedEvents(old)} fixed events before the patch`);
  });
});
