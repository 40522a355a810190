// The UI's handle on the main process: `window.qins` from the preload bridge in Electron, or the
// WebSocket shim in a browser. Components import `qins` from here, never touch transports.
import { errorOf } from '../../../src-shared/api';
import type { QinsApi } from '../../../src-shared/contract';
import { installWsShim } from './ws-shim';

export const qins: QinsApi = installWsShim(window as unknown as { qins?: QinsApi; location: Location });
export { errorOf };
