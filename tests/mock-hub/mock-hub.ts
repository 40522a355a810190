// A small Hugging Face Hub for the tests (unit and end to end), on 127.0.0.1 and a free port, selected
// with HF_ENDPOINT. It serves the endpoints @huggingface/hub and the downloader use: model info
// (/api/models/<repo>/revision/<rev>), the file tree with LFS sha256 (/api/models/<repo>/tree/<rev>),
// and /<repo>/resolve/<rev>/<path> — small files directly with ETag and X-Repo-Commit, LFS files
// through a redirect to /cdn/<commit>/<sha256> — with HTTP Range. Faults can be armed per file: a connection
// dropped mid-file, corrupt bytes, 429 with Retry-After, a 500, a slow transfer.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

export interface MockRepoSpec {
  id: string;
  /** A checkpoint folder to serve (every file at the top level)... */
  dir?: string;
  /** ...and/or files given here (they win over the folder's). */
  files?: Record<string, string | Buffer>;
  /** Gated: every file needs `Authorization: Bearer <one of tokens>`. */
  gated?: 'auto' | 'manual';
  tokens?: string[];
  license?: string;
  /** Branches besides main (name → the same files). */
  branches?: string[];
}

interface MockFile {
  path: string;
  data: Buffer;
  lfs: boolean;
  /** sha256 for LFS files, the git blob sha1 otherwise. */
  oid: string;
}

interface MockRepo {
  spec: MockRepoSpec;
  commit: string;
  files: Map<string, MockFile>;
}

export interface Fault {
  /** Close the connection after sending this many bytes of the body (once per arming). */
  dropAfter?: number;
  /** Flip a byte of the served content (every request while armed). */
  corrupt?: boolean;
  /** Answer 429 with this Retry-After (seconds) for the next `times` requests. */
  throttle?: { times: number; retryAfter: number };
  /** Answer 500 for the next `times` requests. */
  serverError?: { times: number };
  /** Send at most this many bytes per second. */
  bytesPerSecond?: number;
}

export interface HubRequest {
  method: string;
  url: string;
  range: string | null;
  authorization: string | null;
  status: number;
}

export interface MockHub {
  url: string;
  requests: HubRequest[];
  /** Arms a fault for one file of one repo (`repo/path`). */
  fault(repo: string, path: string, fault: Fault): void;
  clearFaults(): void;
  commitOf(repo: string): string;
  fileOf(repo: string, path: string): MockFile;
  close(): Promise<void>;
}

const gitSha1 = (data: Buffer): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function loadRepo(spec: MockRepoSpec): MockRepo {
  const raw = new Map<string, Buffer>();
  if (spec.dir) for (const f of readdirSync(spec.dir)) raw.set(f, readFileSync(join(spec.dir, f)));
  for (const [k, v] of Object.entries(spec.files ?? {})) raw.set(k, Buffer.isBuffer(v) ? v : Buffer.from(v));
  const files = new Map<string, MockFile>();
  for (const [path, data] of raw) {
    // Like the hub's default .gitattributes: weights and anything large go to LFS.
    const lfs = /\.(safetensors|bin|gguf|onnx|pt)$/.test(path) || data.length > 10 * 1024 * 1024;
    files.set(path, { path, data, lfs, oid: lfs ? sha256(data) : gitSha1(data) });
  }
  return { spec, files, commit: createHash('sha1').update(`commit:${spec.id}`).digest('hex') };
}

export async function startMockHub(specs: MockRepoSpec[]): Promise<MockHub> {
  const repos = new Map(specs.map((s) => [s.id, loadRepo(s)]));
  const faults = new Map<string, Fault>();
  const requests: HubRequest[] = [];
  const sockets = new Set<Socket>();
  // the CDN URL names the repo too: the tests' repos share files
  const byOid = new Map<string, { repo: MockRepo; file: MockFile }>();
  for (const repo of repos.values()) for (const f of repo.files.values()) if (f.lfs) byOid.set(`${repo.commit}/${f.oid}`, { repo, file: f });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  /** The repo and the revision in path segments `org/name/<kind>/<rev>/...`; answers 404 itself. */
  const resolveRepo = (res: ServerResponse, segs: string[], kind: string): { repo: MockRepo; rev: string; rest: string[] } | null => {
    const k = segs.indexOf(kind);
    const id = segs.slice(0, k === -1 ? segs.length : k).join('/');
    const repo = repos.get(id);
    if (!repo) {
      // the real hub answers 401 to anonymous requests for a repo it does not show
      json(res, 401, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
      return null;
    }
    const rev = decodeURIComponent(segs[k + 1] ?? 'main');
    if (rev !== 'main' && rev !== 'HEAD' && rev !== repo.commit && !(repo.spec.branches ?? []).includes(rev)) {
      json(res, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return null;
    }
    return { repo, rev, rest: segs.slice(k + 2) };
  };

  const authorized = (req: IncomingMessage, res: ServerResponse, repo: MockRepo): boolean => {
    if (!repo.spec.gated) return true;
    const auth = req.headers.authorization ?? '';
    if (!auth) {
      json(res, 401, { error: `Access to model ${repo.spec.id} is restricted. You must have access to it and be authenticated to access it. Please log in.` }, { 'X-Error-Code': 'GatedRepo' });
      return false;
    }
    if (!(repo.spec.tokens ?? []).some((t) => auth === `Bearer ${t}`)) {
      json(res, 403, { error: `Access to model ${repo.spec.id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repo.spec.id} to ask for access.` }, { 'X-Error-Code': 'GatedRepo' });
      return false;
    }
    return true;
  };

  /** Sends `data` honouring Range and the armed faults. */
  const sendBody = (req: IncomingMessage, res: ServerResponse, key: string, file: MockFile, headers: Record<string, string>): void => {
    const fault = faults.get(key) ?? {};
    if (fault.throttle && fault.throttle.times > 0) {
      fault.throttle.times--;
      json(res, 429, { error: 'rate limited' }, { 'Retry-After': String(fault.throttle.retryAfter) });
      return;
    }
    if (fault.serverError && fault.serverError.times > 0) {
      fault.serverError.times--;
      json(res, 500, { error: 'internal error' });
      return;
    }
    let data = file.data;
    if (fault.corrupt) {
      data = Buffer.from(data);
      const i = Math.floor(data.length / 2);
      data[i] = data[i]! ^ 0xff;
    }
    let start = 0;
    let end = data.length - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
      if (start >= data.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${data.length}` });
        res.end();
        return;
      }
      status = 206;
    }
    const body = data.subarray(start, end + 1);
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
      'Accept-Ranges': 'bytes',
      ...(status === 206 ? { 'Content-Range': `bytes ${start}-${end}/${data.length}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const drop = fault.dropAfter;
    if (drop !== undefined) delete fault.dropAfter;
    const limit = drop === undefined ? body.length : Math.min(drop, body.length);
    const rate = fault.bytesPerSecond;
    const chunk = rate ? Math.max(1, Math.floor(rate / 20)) : 256 * 1024;
    let sent = 0;
    const pump = (): void => {
      if (res.destroyed) return;
      while (sent < limit) {
        const n = Math.min(chunk, limit - sent);
        const ok = res.write(body.subarray(sent, sent + n));
        sent += n;
        if (rate) return void setTimeout(pump, 50);
        if (!ok) return void res.once('drain', pump);
      }
      if (drop !== undefined && limit < body.length) res.destroy(); // the connection drops mid-file
      else res.end();
    };
    pump();
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: HubRequest = { method: req.method ?? 'GET', url: url.pathname + url.search, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null, status: 0 };
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => (entry.status ||= res.statusCode));
    const segs = url.pathname.split('/').filter(Boolean);
    if (segs[0] === 'api' && segs[1] === 'models') {
      const isTree = segs.includes('tree');
      const r = resolveRepo(res, segs.slice(2), isTree ? 'tree' : 'revision');
      if (!r) return;
      if (!isTree) {
        const { spec } = r.repo;
        return json(res, 200, {
          _id: createHash('md5').update(spec.id).digest('hex').slice(0, 24),
          id: spec.id,
          modelId: spec.id,
          sha: r.repo.commit,
          private: false,
          gated: spec.gated ?? false,
          disabled: false,
          downloads: 0,
          likes: 0,
          lastModified: '2026-01-01T00:00:00.000Z',
          pipeline_tag: 'text-generation',
          tags: spec.license ? [`license:${spec.license}`] : [],
          cardData: spec.license ? { license: spec.license } : {},
          siblings: [...r.repo.files.keys()].map((rfilename) => ({ rfilename })),
        });
      }
      return json(
        res,
        200,
        [...r.repo.files.values()].map((f) => ({
          type: 'file',
          oid: f.lfs ? gitSha1(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${f.oid}\nsize ${f.data.length}\n`)) : f.oid,
          size: f.data.length,
          path: f.path,
          ...(f.lfs ? { lfs: { oid: f.oid, size: f.data.length, pointerSize: 134 } } : {}),
        })),
      );
    }
    if (segs[0] === 'cdn' && segs[2]) {
      const hit = byOid.get(`${segs[1]}/${segs[2]}`);
      if (!hit) return json(res, 404, { error: 'no such object' });
      return sendBody(req, res, `${hit.repo.spec.id}/${hit.file.path}`, hit.file, { ETag: `"${hit.file.oid}"` });
    }
    const k = segs.indexOf('resolve');
    if (k > 0) {
      const r = resolveRepo(res, segs, 'resolve');
      if (!r) return;
      if (!authorized(req, res, r.repo)) return;
      const path = r.rest.map(decodeURIComponent).join('/');
      const file = r.repo.files.get(path);
      if (!file) return json(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      const headers = { 'X-Repo-Commit': r.repo.commit, ETag: `"${file.oid}"` };
      if (file.lfs) {
        res.writeHead(302, { ...headers, 'X-Linked-Etag': `"${file.oid}"`, 'X-Linked-Size': String(file.data.length), Location: `/cdn/${r.repo.commit}/${file.oid}` });
        return void res.end();
      }
      return sendBody(req, res, `${r.repo.spec.id}/${path}`, file, headers);
    }
    json(res, 404, { error: 'not found' });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault: (repo, path, fault) => faults.set(`${repo}/${path}`, fault),
    clearFaults: () => faults.clear(),
    commitOf: (repo) => repos.get(repo)!.commit,
    fileOf: (repo, path) => repos.get(repo)!.files.get(path)!,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
