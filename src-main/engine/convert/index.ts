// The converter's public surface for the CLI and the app: HF checkpoint → .qins conversion as a
// job with progress and cancel, inspection, checksum verification, and .qinz packing.
export { convertCheckpoint, DEFAULT_QINS4_SEARCH, type ConvertOptions, type ConvertPhase, type ConvertProgress, type ConvertResult } from './job.js';
export { inspectQins, verifyQins, type QinsInspection, type TensorSummary, type VerifyOptions, type VerifyResult } from './inspect.js';
export { ConvertError, CONVERT_ERROR_CODES, type ConvertErrorCode } from './errors.js';
export { openCheckpoint, readCheckpointConfig, type Checkpoint } from './checkpoint.js';
export { buildModelSpec, planTensors, architectureOf, type PlannedTensor } from './arch.js';
export { packQins, unpackQinz, readQinz, DEFAULT_QUALITY as DEFAULT_PACK_QUALITY, type PackOptions, type PackProgress, type PackResult, type QinzInfo } from './pack.js';
