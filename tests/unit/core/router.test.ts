import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src-shared/contract.js';
import { type ClientContext, type Handlers, createRouter } from '../../../src-main/core/router.js';

const client: ClientContext = { clientId: 'test', emit: () => undefined, onClose: () => undefined };

// Only the channels these tests call; the real handler set is exercised by fuzz.test.ts.
const handlers = {
  'app.info': () => ({
    name: 'QINS Chat',
    version: '0',
    mode: 'web',
    platform: 'linux',
    arch: 'x64',
    versions: { node: '20', v8: '11', electron: null, chrome: null },
    cpu: { model: 'cpu', cores: 2 },
    totalMemory: 1,
    paths: { data: '/d', database: '/d/qins.db', models: '/d/models', assets: '/a' },
  }),
  'engine.ping': () => ({ pid: 1, uptimeMs: 1, roundTripMs: 0.1, restarts: 0 }),
  'engine.status': () => ({ state: 'ready', pid: 1, restarts: 0, lastError: null }),
  'telemetry.subscribe': () => ({ subscriptionId: 'abc' }),
  'telemetry.unsubscribe': () => ({ stopped: true }),
} as Partial<Handlers> as Handlers;
const foundation = ['app.info', 'engine.ping', 'engine.status', 'telemetry.subscribe', 'telemetry.unsubscribe'] as const;

const router = createRouter(handlers);
const codes = new Set(ErrorCode.options);

function expectWellFormedError(reply: Awaited<ReturnType<typeof router.handle>>) {
  expect(reply.ok).toBe(false);
  if (reply.ok) return;
  expect(codes.has(reply.error.code)).toBe(true);
  expect(typeof reply.error.message).toBe('string');
  expect(reply.error.message.length).toBeGreaterThan(0);
}

describe('router', () => {
  it('answers a valid request with the handler result', async () => {
    const reply = await router.handle({ id: 7, channel: 'engine.status', payload: {} }, client);
    expect(reply).toEqual({ id: 7, ok: true, result: { state: 'ready', pid: 1, restarts: 0, lastError: null } });
  });

  it('rejects unknown channels, prototype keys and malformed envelopes with codes', async () => {
    for (const channel of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const r = await router.handle({ id: 1, channel, payload: {} }, client);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('UNKNOWN_CHANNEL');
    }
    for (const m of [null, undefined, 42, 'x', [], { id: -1, channel: 'app.info' }, { id: 1.5, channel: 'app.info' }, { channel: 'app.info' }]) {
      const r = await router.handle(m, client);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('INVALID_PAYLOAD');
    }
  });

  it('rejects payloads that do not match the schema', async () => {
    const r = await router.handle({ id: 1, channel: 'telemetry.subscribe', payload: { intervalMs: 5 } }, client);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INVALID_PAYLOAD');
      expect(r.error.message).toMatch(/intervalMs/);
    }
    const extra = await router.handle({ id: 2, channel: 'app.info', payload: { extra: 1 } }, client);
    expect(extra.ok).toBe(false);
  });

  it('turns handler exceptions and invalid handler results into errors', async () => {
    const broken = createRouter({
      ...handlers,
      'engine.ping': () => {
        throw new Error('boom');
      },
      'engine.status': () => ({ state: 'weird' }) as never,
    });
    const a = await broken.handle({ id: 1, channel: 'engine.ping', payload: {} }, client);
    expect(a).toEqual({ id: 1, ok: false, error: { code: 'INTERNAL', message: 'boom' } });
    const b = await broken.handle({ id: 2, channel: 'engine.status', payload: {} }, client);
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.error.message).toMatch(/invalid response/);
  });

  it('survives 2 000 random envelopes and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true }), async (m) => {
        const reply = await router.handle(m, client);
        expect(typeof reply.ok).toBe('boolean');
        if (!reply.ok) expectWellFormedError(reply);
      }),
      { numRuns: 2000 },
    );
  });

  it('survives 2 000 mutated payloads on real channels; invalid ones get INVALID_PAYLOAD', async () => {
    const valid: Record<string, unknown> = {
      'app.info': {},
      'engine.ping': {},
      'engine.status': {},
      'telemetry.subscribe': { intervalMs: 1000 },
      'telemetry.unsubscribe': { subscriptionId: 'abc' },
    };
    const mutation = fc.oneof(
      fc.anything(),
      fc.record({ intervalMs: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) }),
      fc.record({ subscriptionId: fc.oneof(fc.string({ maxLength: 300 }), fc.integer(), fc.constant(null)) }),
      fc.dictionary(fc.string(), fc.anything()),
    );
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...foundation), mutation, fc.nat(), async (channel, payload, id) => {
        const reply = await router.handle({ id, channel, payload }, client);
        expect(reply.id).toBe(id);
        if (!reply.ok) {
          expectWellFormedError(reply);
          expect(reply.error.code).toBe('INVALID_PAYLOAD');
          rejected++;
        }
      }),
      { numRuns: 2000 },
    );
    expect(rejected).toBeGreaterThan(500);
    // the valid payloads above are accepted
    for (const [channel, payload] of Object.entries(valid)) {
      expect((await router.handle({ id: 1, channel, payload }, client)).ok).toBe(true);
    }
  });
});
