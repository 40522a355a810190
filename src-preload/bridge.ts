// Preload script (sandboxed, CommonJS bundle): exposes `window.qins` — the contract's API over
// Electron IPC — and nothing else.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createApi } from '../src-shared/api.js';
import { type EventMessage, IPC_EVENT, IPC_INVOKE, type ReplyMessage, isEventChannel } from '../src-shared/contract.js';

const api = createApi(
  {
    request: (message) => ipcRenderer.invoke(IPC_INVOKE, message) as Promise<ReplyMessage>,
    listen: (listener) => {
      ipcRenderer.on(IPC_EVENT, (_event, message: EventMessage) => {
        if (message && isEventChannel(message.event)) listener(message);
      });
    },
  },
  'electron',
);

// contextBridge copies plain functions and data; expose exactly the QinsApi surface.
contextBridge.exposeInMainWorld('qins', {
  transport: api.transport,
  invoke: api.invoke,
  on: api.on,
  pathForFile: (file: File) => webUtils.getPathForFile(file),
});
