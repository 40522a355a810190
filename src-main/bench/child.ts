// Runs one `qins …` command in a child process (each measurement gets a fresh process, so its
// RSS belongs to one engine and one model) and returns its --json object and its peak RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../core/paths.js';

export class ChildCommandError extends Error {
  override name = 'ChildCommandError';
}

export interface ChildResult<T> {
  json: T;
  /** Peak resident set size of the child (VmHWM, Linux); null where /proc is unavailable. */
  peakRssBytes: number | null;
  seconds: number;
}

/** Drops terminal control sequences (progress lines that rewrite themselves). */
// eslint-disable-next-line no-control-regex
const clean = (s: string): string => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

const running = new Set<ChildProcess>();
let handlersInstalled = false;

/** A suite stopped by a signal takes its measurement child with it. */
function track(child: ChildProcess): void {
  running.add(child);
  child.on('close', () => running.delete(child));
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      for (const c of running) c.kill('SIGTERM');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
}

/** The `qins` entry (bin/qins.js beside package.json). */
export function cliEntry(): string {
  const entry = join(appRoot(), 'bin', 'qins.js');
  if (!existsSync(entry)) throw new ChildCommandError(`${entry} is missing`);
  return entry;
}

function vmHwm(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Runs `qins <args> --json`; stderr lines are passed to `onLine`. Rejects with the child's last
 * stderr line when it exits non-zero or prints no JSON.
 */
export function runQins<T>(args: string[], opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}): Promise<ChildResult<T>> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), ...args, '--json'], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child);
    let stdout = '';
    let errTail = '';
    let peak: number | null = null;
    const poll = setInterval(() => {
      const v = child.pid ? vmHwm(child.pid) : null;
      if (v !== null) peak = Math.max(peak ?? 0, v);
    }, 100);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      errTail = (errTail + d).slice(-4000);
      for (const line of clean(d).split(/\r|\n/)) if (line.trim()) opts.onLine?.(line.trim());
    });
    child.on('error', (e) => {
      clearInterval(poll);
      reject(new ChildCommandError(`qins ${args[0]}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearInterval(poll);
      const last = errTail.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new ChildCommandError(`qins ${args.join(' ')} failed (exit ${code}): ${last}`));
      try {
        resolve({ json: JSON.parse(stdout) as T, peakRssBytes: peak, seconds: (performance.now() - t0) / 1000 });
      } catch {
        reject(new ChildCommandError(`qins ${args[0]} printed no JSON object (${last})`));
      }
    });
  });
}

/** Runs a Node script of the repository (e.g. tests/bench/make-synthetic-checkpoint.mjs). */
export function runNodeScript(script: string, args: string[], opts: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let tail = '';
    const onData = (d: string) => {
      tail = (tail + d).slice(-2000);
      for (const line of clean(d).split(/\r|\n/)) if (line.trim()) opts.onLine?.(line.trim());
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', (e) => reject(new ChildCommandError(`${script}: ${e.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new ChildCommandError(`${script} failed (exit ${code}): ${tail.trim().split('\n').pop() ?? ''}`)),
    );
  });
}
