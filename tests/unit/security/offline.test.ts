// The offline guarantee: a full first-run conversion, model load, chat and API completion make no
// connection and no DNS lookup beyond loopback. Checked twice: in JavaScript (every socket connect,
// DNS call and UDP send of the server and its engine host is recorded) and, where strace exists,
// at the system-call level for the whole process tree (native code included).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { repoRoot } from '../helpers/built.js';

const home = mkdtempSync(join(tmpdir(), 'qins-offline-'));
const netLog = join(home, 'net.jsonl');
const traceLog = join(home, 'strace.log');
const haveStrace = spawnSync('strace', ['-V']).status === 0;

afterAll(() => rmSync(home, { recursive: true, force: true }));

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/;

describe('offline guarantee', () => {
  it(`conversion + chat + API touch nothing beyond loopback${haveStrace ? ' (JS hooks + strace)' : ' (JS hooks; strace not installed)'}`, async () => {
    const guard = join(repoRoot, 'tests', 'unit', 'security', 'net-guard.mjs');
    const nodeArgs = ['bin/qins.js', 'serve', '--port', '0', '--json'];
    const cmd = haveStrace ? 'strace' : process.execPath;
    const args = haveStrace ? ['-f', '-qq', '-e', 'trace=connect,sendto,sendmsg,execve', '-o', traceLog, process.execPath, ...nodeArgs] : nodeArgs;
    const child = spawn(cmd, args, {
      cwd: repoRoot,
      env: { ...process.env, QINS_HOME: home, QINS_NET_LOG: netLog, NODE_OPTIONS: `--import ${guard}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const info = await new Promise<{ port: number; token: string; pid: number }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        try {
          resolve(JSON.parse(out));
          clearTimeout(t);
        } catch {
          /* partial */
        }
      });
    });

    const ws = new WebSocket(`ws://127.0.0.1:${info.port}/ws?token=${info.token}`);
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    const events: Array<{ event: string; payload: Record<string, unknown> }> = [];
    const replies = new Map<number, { ok: boolean; result?: Record<string, unknown>; error?: unknown }>();
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      if (m.event) events.push(m);
      else replies.set(m.id, m);
    });
    let id = 0;
    const call = async (channel: string, payload: unknown) => {
      const my = ++id;
      ws.send(JSON.stringify({ id: my, channel, payload }));
      for (;;) {
        const r = replies.get(my);
        if (r) {
          if (!r.ok) throw new Error(`${channel}: ${JSON.stringify(r.error)}`);
          return r.result!;
        }
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    const until = async (pred: () => boolean, ms = 120_000) => {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end) throw new Error('timeout');
        await new Promise((res) => setTimeout(res, 20));
      }
    };

    // first run: the embedded model is converted (it may finish before the socket connects)
    for (let models: unknown[] = []; models.length === 0; await new Promise((res) => setTimeout(res, 250))) {
      models = (await call('models.list', {})) as unknown as unknown[];
    }
    const { conversation } = (await call('conversations.create', {})) as { conversation: { id: string } };
    const started = (await call('chat.send', { conversationId: conversation.id, content: 'Hello' })) as { jobId: string };
    await until(() => events.some((e) => e.event === 'chat.event' && e.payload.jobId === started.jobId && (e.payload.type === 'done' || e.payload.type === 'error')));
    expect(events.find((e) => e.event === 'chat.event' && e.payload.jobId === started.jobId && e.payload.type === 'done')).toBeDefined();
    const api = await fetch(`http://127.0.0.1:${info.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${info.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 8 }),
    });
    expect(api.status).toBe(200);
    ws.close();
    // strace blocks fatal signals while it runs a command: stop the server itself; strace then exits with it
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(info.pid, 'SIGTERM');
    await exited;

    // 1. JavaScript-level record (the server and its engine host both loaded the guard)
    const records = existsSync(netLog) ? readFileSync(netLog, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
    // (listening on 127.0.0.1 passes the literal through dns.lookup, which resolves it locally)
    const leaving = records.filter((r) => ((r.kind === 'connect' || r.kind === 'dns') && r.host !== null && !LOOPBACK.test(r.host)) || r.kind === 'udp');
    expect(leaving).toEqual([]);

    // 2. System-call level, every process of the tree (native code included)
    if (haveStrace) {
      const lines = readFileSync(traceLog, 'utf8').split('\n');
      const inet = lines.filter((l) => /AF_INET6?/.test(l));
      const external = inet.filter((l) => !/inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|"::ffff:127\./.test(l));
      const dnsPort = lines.filter((l) => /htons\(53\)/.test(l));
      expect(external).toEqual([]);
      expect(dnsPort).toEqual([]);
      // the trace really followed the tree: the server and the engine host it forked both exec'd node
      expect(lines.filter((l) => l.includes('execve(') && l.includes('= 0')).length).toBeGreaterThanOrEqual(2);
    }
  }, 300_000);
});
