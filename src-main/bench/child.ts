// Runs one `qins …` command in a child process (each measurement gets a fresh process, so its
// RSS belongs to one engine and one model) and returns its --json object, its peak RSS and the CPU
// time it used (the child's own getrusage, written by a preloaded exit hook).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../core/paths.js';

export class ChildCommandError extends Error {
  override name = 'ChildCommandError';
}

/** The child's resource use over its whole life (process.resourceUsage() at exit: all its threads). */
export interface ChildUsage {
  user_seconds: number;
  sys_seconds: number;
  /** getrusage's ru_maxrss: the peak resident set. */
  max_rss_bytes: number;
}

export interface ChildResult<T> {
  json: T;
  /** Peak resident set size of the child (its getrusage at exit, else VmHWM polled); null where neither is available. */
  peakRssBytes: number | null;
  /** Wall time from spawn to exit. */
  seconds: number;
  usage: ChildUsage | null;
}

/** Preloaded into each child: writes its resource use to QINS_RUSAGE_FILE when it exits. */
const USAGE_HOOK =
  "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>{try{writeFileSync(process.env.QINS_RUSAGE_FILE,JSON.stringify(process.resourceUsage()))}catch{}})";
let usageFiles = 0;

function readUsage(file: string): ChildUsage | null {
  try {
    const u = JSON.parse(readFileSync(file, 'utf8')) as { userCPUTime: number; systemCPUTime: number; maxRSS: number };
    return { user_seconds: u.userCPUTime / 1e6, sys_seconds: u.systemCPUTime / 1e6, max_rss_bytes: u.maxRSS * 1024 };
  } catch {
    return null;
  } finally {
    rmSync(file, { force: true });
  }
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
    const usageFile = join(tmpdir(), `qins-bench-usage-${process.pid}-${++usageFiles}.json`);
    const child = spawn(process.execPath, ['--import', USAGE_HOOK, cliEntry(), ...args, '--json'], {
      env: { ...process.env, ...opts.env, QINS_RUSAGE_FILE: usageFile },
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
      const seconds = (performance.now() - t0) / 1000;
      const usage = readUsage(usageFile);
      const last = errTail.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new ChildCommandError(`qins ${args.join(' ')} failed (exit ${code}): ${last}`));
      try {
        resolve({ json: JSON.parse(stdout) as T, peakRssBytes: usage?.max_rss_bytes ?? peak, seconds, usage });
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
