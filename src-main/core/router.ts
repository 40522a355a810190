// The main-side request router: validates every incoming message against the contract, runs the
// handler and answers with a ReplyMessage. It never throws and never rejects: whatever arrives
// (from IPC or a WebSocket), the caller gets `{ok:false, error:{code, message}}` or a result.
import {
  type EventChannel,
  type EventOf,
  type ParsedRequestOf,
  type ReplyMessage,
  type RequestChannel,
  type ResponseOf,
  InvokeMessage,
  isRequestChannel,
  requests,
  toErrorShape,
} from '../../src-shared/contract.js';

/** One connected UI (a BrowserWindow or a WebSocket). */
export interface ClientContext {
  readonly clientId: string;
  /** Pushes an event to this client only. */
  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void;
  /** Registers cleanup to run when the client goes away (window closed, socket closed). */
  onClose(cleanup: () => void): void;
}

export type Handler<C extends RequestChannel> = (
  payload: ParsedRequestOf<C>,
  client: ClientContext,
) => ResponseOf<C> | Promise<ResponseOf<C>>;

export type Handlers = { [C in RequestChannel]: Handler<C> };

export interface Router {
  handle(message: unknown, client: ClientContext): Promise<ReplyMessage>;
}

const MAX_DETAIL = 300;

function describeZodError(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const where = issue.path.length ? issue.path.map(String).join('.') : 'payload';
  return `${where}: ${issue.message}`.slice(0, MAX_DETAIL);
}

export function createRouter(handlers: Handlers): Router {
  return {
    async handle(message, client) {
      const envelope = InvokeMessage.safeParse(message);
      if (!envelope.success) {
        const id = typeof (message as { id?: unknown })?.id === 'number' ? (message as { id: number }).id : null;
        return { id: Number.isInteger(id) ? id : null, ok: false, error: { code: 'INVALID_PAYLOAD', message: `malformed message: ${describeZodError(envelope.error)}` } };
      }
      const { id, channel, payload } = envelope.data;
      if (!isRequestChannel(channel)) {
        return { id, ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `unknown channel "${channel.slice(0, 100)}"` } };
      }
      const spec = requests[channel];
      const parsed = spec.request.safeParse(payload ?? {});
      if (!parsed.success) {
        return { id, ok: false, error: { code: 'INVALID_PAYLOAD', message: `${channel}: ${describeZodError(parsed.error)}` } };
      }
      try {
        const handler = handlers[channel] as Handler<typeof channel>;
        const result = await handler(parsed.data as never, client);
        const checked = spec.response.safeParse(result);
        if (!checked.success) {
          return { id, ok: false, error: { code: 'INTERNAL', message: `${channel}: handler returned an invalid response (${describeZodError(checked.error)})` } };
        }
        return { id, ok: true, result: checked.data };
      } catch (e) {
        return { id, ok: false, error: toErrorShape(e) };
      }
    },
  };
}
