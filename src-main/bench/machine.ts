// The machine a benchmark ran on: CPU, cores, memory, OS, runtime versions, measured read bandwidth.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { appRoot } from '../core/paths.js';
import { loadNative } from '../engine/native.js';

export interface MachineInfo {
  cpu: string;
  /** SIMD kernel set the native engine picked, and what the CPU offers. */
  kernels: string | null;
  cpu_features: string[];
  physical_cores: number | null;
  logical_cores: number;
  memory_bytes: number;
  os: string;
  node: string;
  onnxruntime: string | null;
  /** Best streaming read bandwidth of the probes of the run with `bandwidth_threads` threads, GB/s (1e9 B/s). */
  bandwidth_gbs: number | null;
  bandwidth_threads: number | null;
  commit: string | null;
  load_avg_1m_start: number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model.trim() || 'unknown';
}

function ortVersion(): string | null {
  try {
    const req = createRequire(join(appRoot(), 'package.json'));
    return (req('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return null;
  }
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: appRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** One run of the native read-bandwidth probe, with the load average when it ran. */
export interface BandwidthProbe {
  gbs: number;
  worst_gbs: number;
  bytes: number;
  threads: number;
  repeats: number;
  passes: number;
  huge_pages_requested: boolean;
  huge_page_bytes: number;
  pinned_threads: number;
  kernels: string;
  load_avg_1m: number;
  /** What the suite was doing around it (e.g. "start", "tiny round 2"). */
  when: string;
}

/** Runs the probe (1 GiB on huge pages, pinned threads, 3 passes per timing, best of `repeats` ≥ 5). */
export async function probeBandwidth(threads: number | undefined, when: string, repeats = 5): Promise<BandwidthProbe> {
  const load = loadavg()[0] ?? 0;
  const r = await loadNative().streamBandwidth({ ...(threads ? { threads } : {}), repeats: Math.max(5, repeats), bytes: 2 ** 30, passes: 3 });
  return {
    gbs: r.gbs,
    worst_gbs: r.worstGbs,
    bytes: r.bytes,
    threads: r.threads,
    repeats: r.repeats,
    passes: r.passes,
    huge_pages_requested: r.hugePagesRequested,
    huge_page_bytes: r.hugePageBytes,
    pinned_threads: r.pinnedThreads,
    kernels: r.kernels,
    load_avg_1m: load,
    when,
  };
}

/** Machine facts; with `rounds` > 0 the bandwidth is measured too (best of the probes). */
export async function machineInfo(opts: { threads?: number; rounds?: number } = {}): Promise<MachineInfo> {
  const load = loadavg()[0] ?? 0;
  let kernels: string | null = null;
  let features: string[] = [];
  let physical: number | null = null;
  let bandwidth: number | null = null;
  let bwThreads: number | null = null;
  try {
    const native = loadNative();
    const c = native.cpuInfo();
    kernels = c.best;
    features = c.available;
    physical = c.physicalCores;
    for (let i = 0; i < (opts.rounds ?? 0); i++) {
      const r = await probeBandwidth(opts.threads, 'machine');
      if (bandwidth === null || r.gbs > bandwidth) bandwidth = r.gbs;
      bwThreads = r.threads;
    }
  } catch {
    /* no native addon: machine facts without bandwidth */
  }
  return {
    cpu: cpuModel(),
    kernels,
    cpu_features: features,
    physical_cores: physical,
    logical_cores: cpus().length,
    memory_bytes: totalmem(),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    onnxruntime: ortVersion(),
    bandwidth_gbs: bandwidth,
    bandwidth_threads: bwThreads,
    commit: gitCommit(),
    load_avg_1m_start: load,
  };
}
