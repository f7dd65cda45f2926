/**
 * CPU time of the processes that do one job one after another (a camera's
 * capture ffmpeg, a derived track's transcoder): read from /proc/<pid>/stat
 * (utime + stime) only when asked (a scrape, an API request, a process about
 * to be stopped), never per unit. The total only grows: the seconds of the
 * processes that ended (their last reading) plus the running one's.
 * Off Linux, or for a process gone before its first reading, nothing is read
 * and nothing is counted.
 */
import { readFileSync } from 'node:fs';

/** USER_HZ: the unit of the times in /proc/<pid>/stat, 100 on every Linux architecture camrelay runs on. */
const TICKS_PER_SECOND = 100;

interface Reading {
  pid: number;
  /** The process's start time (field 22), so that a pid taken again by another process is not mistaken for it. */
  start: string;
  seconds: number;
}

/** utime + stime (seconds) and start time of a process; undefined when it is gone or /proc is unreadable. */
export function readProcessCpu(pid: number): { seconds: number; start: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so the fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]); // field 14
  const stime = Number(fields[12]); // field 15
  const start = fields[19]; // field 22
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || start === undefined) return undefined;
  return { seconds: (utime + stime) / TICKS_PER_SECOND, start };
}

export class ProcessCpu {
  private endedSeconds = 0;
  private current: Reading | undefined;

  /** `pidOf`: the pid of the process doing the job now, undefined while none runs. */
  constructor(private readonly pidOf: () => number | undefined) {}

  /** CPU seconds of every process seen so far: those ended plus the running one's (read now). */
  seconds(): number {
    this.sample();
    return this.endedSeconds + (this.current?.seconds ?? 0);
  }

  /** Reads the running process now (before it is stopped: its last seconds count too). */
  sample(): void {
    let pid: number | undefined;
    try {
      pid = this.pidOf();
    } catch {
      pid = undefined;
    }
    if (this.current && this.current.pid !== pid) this.settle();
    if (pid === undefined) return;
    const reading = readProcessCpu(pid);
    if (!reading) return; // gone (its last reading stays), or no /proc
    if (this.current && this.current.start !== reading.start) this.settle();
    if (!this.current) this.current = { pid, start: reading.start, seconds: 0 };
    this.current.seconds = Math.max(this.current.seconds, reading.seconds);
  }

  /** The current process is over: its last reading joins the total. */
  private settle(): void {
    this.endedSeconds += this.current?.seconds ?? 0;
    this.current = undefined;
  }
}
