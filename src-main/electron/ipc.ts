// Connects renderer windows to the core router over Electron IPC. Each WebContents is one client;
// messages from anything but our own main frames are refused.
import type { IpcMain, WebContents } from 'electron';
import { IPC_EVENT, IPC_INVOKE, type ReplyMessage } from '../../src-shared/contract.js';
import type { AppCore, ConnectedClient } from '../core/app-core.js';
import { isTrustedSender } from './security.js';

export function wireIpc(ipcMain: IpcMain, core: AppCore, origins: string[]): void {
  const clients = new Map<number, ConnectedClient>();

  const clientFor = (contents: WebContents): ConnectedClient => {
    let client = clients.get(contents.id);
    if (!client) {
      client = core.connect((event, payload) => {
        if (!contents.isDestroyed()) contents.send(IPC_EVENT, { event, payload });
      });
      clients.set(contents.id, client);
      contents.once('destroyed', () => {
        clients.get(contents.id)?.close();
        clients.delete(contents.id);
      });
    }
    return client;
  };

  ipcMain.handle(IPC_INVOKE, async (event, message: unknown): Promise<ReplyMessage> => {
    if (!isTrustedSender(event.senderFrame, origins)) {
      return { id: null, ok: false, error: { code: 'INVALID_PAYLOAD', message: 'IPC from an untrusted frame was refused' } };
    }
    return core.router.handle(message, clientFor(event.sender));
  });
}
