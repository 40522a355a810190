// 10 000 random and mutated payloads against the real contract router and the HTTP API: every
// invalid one gets a validation error, nothing throws, both processes stay up.
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, requestChannels, requests } from '../../../src-shared/contract.js';
import { AppCore, type ConnectedClient } from '../../../src-main/core/app-core.js';
import { forkLauncher } from '../../../src-main/core/engine-supervisor.js';
import { apiRoutes } from '../../../src-main/web/openai.js';
import { startWebHost, type WebHost } from '../../../src-main/web/server.js';
import { builtEngineHost } from '../helpers/built.js';

let core: AppCore;
let client: ConnectedClient;
let host: WebHost;
let home: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'qins-fuzz-'));
  process.env.QINS_HOME = home;
  // a random string can be a valid repo id: hub.* requests go to a closed local port, not the Hub
  process.env.HF_ENDPOINT = 'http://127.0.0.1:9';
  process.env.HF_HUB_CACHE = join(home, 'hf-cache');
  process.env.HF_TOKEN = '';
  core = new AppCore({ mode: 'web', launcher: forkLauncher(builtEngineHost()), firstRun: false });
  client = core.connect(() => undefined);
  await core.start();
  host = await startWebHost({ core, rendererDir: home, port: 0, routes: apiRoutes(core) });
  core.attachWebHost(host);
}, 60_000);

afterAll(async () => {
  await host?.close();
  await core?.stop();
  rmSync(home, { recursive: true, force: true });
});

const codes = new Set<string>(ErrorCode.options);

/** Values that are wrong for nearly every field of the contract. */
const hostile = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ maxLength: 5000 }),
  fc.constantFrom(null, -1, Number.POSITIVE_INFINITY, Number.NaN, '', '\u0000', '../../etc/passwd', { __proto__: { polluted: true } }, [], {}, true),
  fc.integer(),
  fc.double(),
);

/** A payload built from a channel's own keys with hostile values, plus stray keys. */
function mutatedPayload(channel: (typeof requestChannels)[number]) {
  const shape = (requests[channel].request as { shape?: Record<string, unknown> }).shape ?? {};
  const keys = Object.keys(shape);
  return fc.oneof(
    keys.length ? fc.dictionary(fc.constantFrom(...keys), hostile, { minKeys: 1 }) : fc.dictionary(fc.string({ minLength: 1 }), hostile, { minKeys: 1 }),
    fc.record({ unexpected: hostile }),
    hostile,
  );
}

describe('contract router fuzz (real core)', () => {
  it('10 000 payloads: invalid ones get INVALID_PAYLOAD/UNKNOWN_CHANNEL, none throws', async () => {
    let invalid = 0;
    let total = 0;
    const arb = fc.oneof(
      fc.tuple(fc.constantFrom(...requestChannels), fc.constant(null)).chain(([c]) => fc.tuple(fc.constant(c as string), mutatedPayload(c))),
      fc.tuple(fc.string({ maxLength: 100 }), fc.anything()),
    );
    await fc.assert(
      fc.asyncProperty(arb, fc.nat(), async ([channel, payload], id) => {
        total++;
        const known = (requestChannels as string[]).includes(channel);
        const valid = known && requests[channel as keyof typeof requests].request.safeParse(payload ?? {}).success;
        const reply = await core.router.handle({ id, channel, payload }, client);
        expect(typeof reply.ok).toBe('boolean');
        if (!valid) {
          invalid++;
          expect(reply.ok).toBe(false);
          if (!reply.ok) expect(known ? 'INVALID_PAYLOAD' : 'UNKNOWN_CHANNEL').toBe(reply.error.code);
        } else if (!reply.ok) {
          expect(codes.has(reply.error.code)).toBe(true);
        }
      }),
      { numRuns: 10_000 },
    );
    expect(total).toBe(10_000);
    expect(invalid).toBeGreaterThan(9_000);
    // still alive: both processes answer
    const ping = await core.router.handle({ id: 1, channel: 'engine.ping', payload: {} }, client);
    expect(ping.ok).toBe(true);
  }, 300_000);
});

function post(path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: host.port, method: 'POST', path, headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP API fuzz', () => {
  it('10 000 malformed bodies to /v1/chat/completions: all 400, server stays up', async () => {
    const body = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'undefined'),
      fc.record({ messages: hostile, temperature: hostile }).map((v) => JSON.stringify(v)),
      fc.record({ messages: fc.array(fc.record({ role: fc.string(), content: hostile }), { maxLength: 3 }) }).map((v) => JSON.stringify(v)),
      fc.record({ messages: fc.constant([{ role: 'user', content: 'x' }]), max_tokens: fc.oneof(fc.integer({ max: 0 }), fc.string(), fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true })) }).map((v) => JSON.stringify(v)),
    );
    let n = 0;
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        n++;
        const status = await post('/v1/chat/completions', b);
        expect([400]).toContain(status);
      }),
      { numRuns: 10_000 },
    );
    expect(n).toBe(10_000);
    const alive = await new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: host.port, path: '/v1/models', headers: { Host: `127.0.0.1:${host.port}`, Authorization: `Bearer ${host.token}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).end();
    });
    expect(alive).toBe(200);
  }, 300_000);
});
