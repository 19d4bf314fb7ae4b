/**
 * Child processes of a bench run: each in its own process group, so stopping it also stops anything it
 * started, with the last lines of its output kept for the error message when it fails to come up.
 */
/* global fetch */
import { spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';

/**
 * @typedef {{ name: string, pid: number, output(): string, exited: Promise<number | null>,
 *   stop(): Promise<void> }} ChildProcess
 */

/**
 * @param {string} name for messages
 * @param {string[]} args arguments to `node`
 * @param {Record<string, string>} env added to the harness's environment
 * @param {string} cwd
 * @returns {ChildProcess}
 */
/**
 * Every child (service, baseline, simulator) runs with production's memory settings (package.json start:prod,
 * Dockerfile), so the comparison stays fair. Node 24's default young generation is larger than Node 20's; on these
 * 2-core machines it made every process slower (more memory touched per scavenge) and bigger. 4 MB semi-spaces and
 * two malloc arenas keep the service's resident set about 25 MB smaller than 16 MB and glibc's default (issue 14;
 * 8 MB semi-spaces were the step between, 4 MB took about 4 MB more off the peak at the same CPU per request).
 * A fixed 128 KB mmap threshold: glibc otherwise raises it after the first large free and serves later large blocks
 * (V8's compiler zones, socket buffers) from the main heap, whose holes it never returns; with it, the service's
 * malloc heap stayed at 13 MB instead of 45 MB after its first Prisma queries.
 * No allocation-site pretenuring: V8 took to allocating some of the hot path's objects straight in the old
 * generation, where, dead, they kept the young objects they pointed to alive through every scavenge until the next
 * mark-compact (the service's reads promoted about 200 KB per scavenge with it, 5 KB without; bench/README.md).
 */
const V8_FLAGS = ['--max-semi-space-size=4', '--no-allocation-site-pretenuring'];
const MEMORY_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

export function startNode(name, args, env, cwd) {
  const child = spawn(process.execPath, [...V8_FLAGS, ...args], {
    cwd,
    env: { ...process.env, ...MEMORY_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tail = [];
  const keep = (chunk) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (tail.length > 40) tail.splice(0, tail.length - 40);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (process.env.BENCH_CHILD_OUTPUT_DIR) {
    const file = createWriteStream(`${process.env.BENCH_CHILD_OUTPUT_DIR}/${name}.log`);
    child.stdout.pipe(file);
  }
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  return {
    name,
    pid: /** @type {number} */ (child.pid),
    output: () => tail.join('\n'),
    exited,
    stop: async () => {
      if (!alive) return;
      signalGroup(child.pid, 'SIGTERM');
      // Room for a graceful shutdown, and for a --cpu-prof profile to be written.
      const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      // The group may still hold grandchildren after the leader exited.
      signalGroup(child.pid, 'SIGKILL');
    },
  };
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Polls `url` until it answers 2xx; fails early if the process exits. */
export async function waitForHttp(child, url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exitCode;
  void child.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`${child.name} exited (${exitCode}) before it was ready:\n${child.output()}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs} ms:\n${child.output()}`);
}

/** A port free right now on 127.0.0.1 (the child binds it a moment later). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resident set size now and its peak (VmRSS, VmHWM) in bytes, or null when the process is gone. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: field('VmRSS'), hwm: field('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time the process has used so far in user space and in the kernel, in milliseconds; null when it is gone. */
export function cpuSplitOf(pid, thread = undefined) {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks.
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (ticks) => (Number(ticks) * 1000) / CLOCK_TICKS_PER_SECOND;
    return { userMs: ms(fields[11]), systemMs: ms(fields[12]) };
  } catch {
    return null;
  }
}

/**
 * CPU time (user + kernel, ms) so far of every process named `comm` (PostgreSQL's backends: `postgres`), by pid.
 * `cpuSinceOf(before, after)` sums what each used in between: a process started meanwhile counts from zero, one
 * that ended meanwhile drops out (its last share is lost; its total must not be subtracted).
 */
export function cpuByPidOf(comm) {
  const byPid = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== comm) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byPid.set(entry, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // gone meanwhile
    }
  }
  return byPid;
}

export function cpuSinceOf(before, after) {
  let ms = 0;
  for (const [pid, total] of after) ms += total - (before.get(pid) ?? 0);
  return ms;
}

// Linux's USER_HZ: 100 on every architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Samples a process's RSS every `intervalMs`; `peakBetween` answers the highest sample in a time window.
 * @param {number} pid
 * @param {number} intervalMs
 */
export function sampleMemory(pid, intervalMs) {
  /** @type {{ at: number, rss: number }[]} */
  const samples = [];
  const take = () => {
    const memory = memoryOf(pid);
    if (memory) samples.push({ at: Date.now(), rss: memory.rss });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    peakBetween: (from, to) =>
      samples
        .filter((sample) => sample.at >= from && sample.at <= to)
        .reduce((max, sample) => Math.max(max, sample.rss), 0),
    stop: () => clearInterval(timer),
  };
}
