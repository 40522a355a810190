// The peers a suite run compares against — llama.cpp (node-llama-cpp) for inference, with
// AVX2-only and AVX-VNNI-only copies of it on AVX-512 CPUs, and llama-quantize for conversions — and the
// configurations that can run with them.
import { join } from 'node:path';
import { appRoot } from '../core/paths.js';
import { runNodeScript } from './child.js';
import { peerAvailable, peerDir } from './llama-peer.js';
import { findQuantizePeer, type QuantizePeer } from './quantize-peer.js';
import { type BenchConfig, CONFIGS, PEER_VARIANTS, type PeerKernels, type SuiteOptions } from './suite-config.js';
import type { PeerRun } from './suite-result.js';

/** Which configurations run, and the llama.cpp peer and llama-quantize they need. */
export async function choosePeers(
  o: SuiteOptions,
  cpuFeatures: string[],
  log: (l: string) => void,
): Promise<{ peer: PeerRun; configs: BenchConfig[]; quantize: QuantizePeer & { error: string | null } }> {
  const avx512 = cpuFeatures.includes('avx512');
  const peer: PeerRun = {
    available: false,
    reason: null,
    version: null,
    llama_cpp_release: null,
    cpu_library: null,
    avx2_dir: null,
    avx2_cpu_library: null,
    avx2_reason: null,
    avxvnni_dir: null,
    avxvnni_cpu_library: null,
    avxvnni_reason: null,
    system_info: null,
  };
  let configs = CONFIGS.filter((c) => !o.configs || o.configs.includes(c.id));
  if (!avx512) peer.avx2_reason = 'the CPU has no AVX-512: its best kernels are the AVX2 ones already measured';
  else if (o.avx2 === false) peer.avx2_reason = 'left out (--no-avx2)';
  if (!avx512) peer.avxvnni_reason = 'the CPU has no AVX-512: its best kernels are the ones already measured';
  else if (o.avx2 === false) peer.avxvnni_reason = 'left out (--no-avx2)';
  else if (!cpuFeatures.includes('avxvnni')) peer.avxvnni_reason = 'the CPU has no AVX-VNNI';
  if (!avx512 || o.avx2 === false) configs = configs.filter((c) => !c.avx512Only);
  if (!cpuFeatures.includes('avxvnni')) configs = configs.filter((c) => c.kernels !== 'avxvnni');
  const status = peerAvailable();
  if (o.peer === false) peer.reason = 'left out of this run (--no-peer)';
  else if (!status.ok) peer.reason = status.reason;
  else {
    peer.available = true;
    peer.version = status.version;
  }
  for (const kernels of Object.keys(PEER_VARIANTS) as PeerKernels[]) {
    if (!peer.available || !configs.some((c) => c.engine === 'llama.cpp' && c.kernels === kernels)) continue;
    const variant = PEER_VARIANTS[kernels];
    try {
      log(`llama.cpp: a copy of the peer with only its ${variant} CPU library (${kernels})`);
      await runNodeScript(join(appRoot(), 'scripts', 'peer-install.mjs'), ['--variant', variant], { onLine: log });
      if (kernels === 'avx2') peer.avx2_dir = `${peerDir()}-${variant}`;
      else peer.avxvnni_dir = `${peerDir()}-${variant}`;
    } catch (e) {
      const why = `the ${variant}-only copy of the peer could not be made: ${(e as Error).message.split('\n')[0]}`;
      if (kernels === 'avx2') peer.avx2_reason = why;
      else peer.avxvnni_reason = why;
      configs = configs.filter((c) => !(c.engine === 'llama.cpp' && c.kernels === kernels));
    }
  }

  const quantize: QuantizePeer & { error: string | null } =
    o.peer === false ? { binary: null, variant: null, reason: 'left out of this run (--no-peer)', error: null } : { ...findQuantizePeer(cpuFeatures), error: null };
  return { peer, configs, quantize };
}
