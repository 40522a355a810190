// The peers a suite run compares against — llama.cpp (node-llama-cpp) for inference, with an
// AVX2-only copy of it on AVX-512 CPUs, and llama-quantize for conversions — and the
// configurations that can run with them.
import { join } from 'node:path';
import { appRoot } from '../core/paths.js';
import { runNodeScript } from './child.js';
import { peerAvailable, peerDir } from './llama-peer.js';
import { findQuantizePeer, type QuantizePeer } from './quantize-peer.js';
import { type BenchConfig, CONFIGS, type SuiteOptions } from './suite-config.js';
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
    system_info: null,
  };
  let configs = CONFIGS.filter((c) => !o.configs || o.configs.includes(c.id));
  if (!avx512) peer.avx2_reason = 'the CPU has no AVX-512: its best kernels are the AVX2 ones already measured';
  else if (o.avx2 === false) peer.avx2_reason = 'left out (--no-avx2)';
  if (!avx512 || o.avx2 === false) configs = configs.filter((c) => !c.avx512Only);
  const status = peerAvailable();
  if (o.peer === false) peer.reason = 'left out of this run (--no-peer)';
  else if (!status.ok) peer.reason = status.reason;
  else {
    peer.available = true;
    peer.version = status.version;
  }
  if (peer.available && configs.some((c) => c.engine === 'llama.cpp' && c.kernels === 'avx2')) {
    try {
      log('llama.cpp: a copy of the peer with only its AVX2 (haswell) CPU library');
      await runNodeScript(join(appRoot(), 'scripts', 'peer-install.mjs'), ['--variant', 'haswell'], { onLine: log });
      peer.avx2_dir = `${peerDir()}-haswell`;
    } catch (e) {
      peer.avx2_reason = `the AVX2-only copy of the peer could not be made: ${(e as Error).message.split('\n')[0]}`;
      configs = configs.filter((c) => !(c.engine === 'llama.cpp' && c.kernels === 'avx2'));
    }
  }

  const quantize: QuantizePeer & { error: string | null } =
    o.peer === false ? { binary: null, variant: null, reason: 'left out of this run (--no-peer)', error: null } : { ...findQuantizePeer(cpuFeatures), error: null };
  return { peer, configs, quantize };
}
