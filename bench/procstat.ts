/**
 * What a process has cost, from /proc (Linux): CPU seconds (user + system, all threads) and peak RSS
 * (VmHWM), which can be reset between measurements so one long-lived process (the dev server) gets
 * a peak per cell.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench runs on.

/** CPU seconds used so far by `pid` (all threads); undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** A `/proc/<pid>/status` field given in kB (VmRSS, VmHWM, ...), in bytes; undefined when unreadable. */
export function statusField(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** Peak resident set size in bytes since start or the last `resetPeakRss`. */
export function peakRssBytes(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

/** Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux ≥ 4.0); false when not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The 1-minute load average, to label figures taken on a contended machine. */
export function loadAverage(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}
