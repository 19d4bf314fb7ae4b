import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve('.');
const MAIN = join(ROOT, 'dist/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ (tsc, as `npm run build` does after prisma generate) unless it is newer than every source file. */
export function ensureBuilt(): string {
  const main = existsMain();
  if (main === undefined || main < newestMtime(join(ROOT, 'src'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  return MAIN;
}

function existsMain(): number | undefined {
  try {
    return statSync(MAIN).mtimeMs;
  } catch {
    return undefined;
  }
}

export interface ServiceProcess {
  child: ChildProcess;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the first log line with this `event`. */
  waitForEvent(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The built service as production runs it: `node dist/main.js` with only the given environment. */
export function spawnService(environment: Record<string, string>, options: { cwd?: string } = {}): ServiceProcess {
  const child = spawn(process.execPath, [ensureBuilt()], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  const onLine = (text: string) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { event: 'non-json', text };
    }
    logs.push(line);
    for (const waiter of waiters.filter((candidate) => candidate.event === line.event)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return {
    child,
    logs,
    exited,
    waitForEvent(event, timeoutMs = 60_000) {
      const seen = logs.find((line) => line.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${event} log line; last lines: ${JSON.stringify(logs.slice(-5))}`)),
          timeoutMs,
        );
        waiters.push({ event, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then(() =>
          reject(new Error(`exited before ${event}; last lines: ${JSON.stringify(logs.slice(-5))}`)),
        );
      });
    },
  };
}
