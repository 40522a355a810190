// Loaded with `node --import` into the app's processes by the offline test: records every outgoing
// connection, DNS lookup and UDP send the JavaScript side attempts (QINS_NET_LOG, one JSON line each).
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const logFile = process.env.QINS_NET_LOG;
const record = (kind, detail) => {
  if (logFile) appendFileSync(logFile, `${JSON.stringify({ pid: process.pid, kind, ...detail })}\n`);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === 'object') record('connect', { host: first.host ?? 'localhost', port: first.port ?? null, path: first.path ?? null });
  else if (typeof first === 'number' || /^\d+$/.test(String(first))) record('connect', { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: Number(first), path: null });
  else record('connect', { host: null, port: null, path: String(first) });
  return connect.apply(this, args);
};

for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveMx', 'resolveTxt', 'resolveSrv', 'resolveNs', 'resolveCname', 'reverse']) {
  const original = dns[name];
  if (typeof original === 'function') {
    dns[name] = function (host, ...rest) {
      record('dns', { host: String(host), api: name });
      return original.call(this, host, ...rest);
    };
  }
  const p = dns.promises[name];
  if (typeof p === 'function') {
    dns.promises[name] = function (host, ...rest) {
      record('dns', { host: String(host), api: `promises.${name}` });
      return p.call(this, host, ...rest);
    };
  }
}

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) {
  record('udp', { args: args.filter((a) => typeof a === 'string' || typeof a === 'number').map(String) });
  return send.apply(this, args);
};
