'use strict';
// wire-count.js: what clients make a Node HTTP server do, counted on the
// server's side, for bench/naive-compare.sh (WIRE=1). Preloaded into the
// reference server:
//
//   WIRE_COUNT_OUT=/tmp/wire.jsonl node -r ./bench/wire-count.js testdata/node/v4/server.js --port 0
//
// It counts TCP connections accepted, HTTP requests (by method, Engine.IO
// transport and whether they open a session), requests served on a reused
// (keep-alive) connection, websocket upgrades and the extensions they offer
// (Sec-WebSocket-Extensions), the bytes of request heads, and, per socket
// when it closes, the bytes read and written, the reads delivered to
// JavaScript and the writes handed to the kernel (one write or writev each)
// of upgraded sockets, which side ended each connection (closed by the
// client: its FIN came first) and the sockets' errors by code. Each SIGUSR2,
// and the SIGTERM that stops the server, appends the counts so far as one
// JSON line to WIRE_COUNT_OUT (sockets still open are counted as open, with
// the bytes they moved so far); SIGHUP sets the counts to zero.
const fs = require('fs');
const http = require('http');

const out = process.env.WIRE_COUNT_OUT;
const zero = () => ({
  tcp: 0,
  requests: {},
  reusedRequests: 0,
  upgrades: 0,
  extensionsOffered: {},
  headBytes: 0,
  closedByClient: 0,
  closedByServer: 0,
  socketErrors: {},
  http: { bytesRead: 0, bytesWritten: 0 },
  ws: { bytesRead: 0, bytesWritten: 0, reads: 0, writes: 0 },
  // The first request head of each kind (header names and values, the
  // per-connection ones elided) and the client's first websocket messages.
  heads: {},
  firstMessages: [],
});
let counts = zero();
const open = new Set();

// With WIRE_COUNT_LOG, each Engine.IO request is also logged as it ends:
// start and end (ms since the server started), session, method, transport,
// status, and the first bytes of the POST's body or the GET's answer.
const log = process.env.WIRE_COUNT_LOG ? fs.createWriteStream(process.env.WIRE_COUNT_LOG) : null;
const started = process.hrtime.bigint();
const ms = () => (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
const sidOf = (req) => (new URL(req.url, 'http://127.0.0.1').searchParams.get('sid') || 'new').slice(0, 6);

function logRequest(req, res) {
  const t0 = ms();
  let body = '';
  const emit = req.emit;
  req.emit = function (ev, chunk, ...rest) {
    if (ev === 'data' && body.length < 40) body += String(chunk).slice(0, 40);
    return emit.call(this, ev, chunk, ...rest);
  };
  const end = res.end;
  res.end = function (chunk, ...rest) {
    if (req.method === 'GET' && chunk) body = String(chunk).slice(0, 40);
    log.write(`${t0} ${ms()} ${sidOf(req)} ${kindOf(req)} ${res.statusCode} ${JSON.stringify(body)}\n`);
    return end.call(this, chunk, ...rest);
  };
}

function add(map, key) { map[key] = (map[key] || 0) + 1; }

function headSize(req) {
  let n = req.method.length + req.url.length + 12;
  for (let i = 0; i < req.rawHeaders.length; i += 2) n += req.rawHeaders[i].length + req.rawHeaders[i + 1].length + 4;
  return n;
}

// keepHead remembers the first request head of a kind.
const perConnection = new Set(['cookie', 'sec-websocket-key', 'host']);
function keepHead(kind, req) {
  if (counts.heads[kind]) return;
  const h = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    h.push(perConnection.has(name.toLowerCase()) ? `${name}: …` : `${name}: ${req.rawHeaders[i + 1]}`);
  }
  counts.heads[kind] = h.join('; ');
}

// keepMessages unmasks the client's first frames (small ones, as the first
// are) on the first upgraded socket that sends any.
function keepMessages(chunk) {
  let off = 0;
  while (off + 6 <= chunk.length && counts.firstMessages.length < 4) {
    const len = chunk[off + 1] & 0x7f;
    if (len > 125 || !(chunk[off + 1] & 0x80) || off + 6 + len > chunk.length) return;
    const mask = chunk.subarray(off + 2, off + 6);
    const data = Buffer.from(chunk.subarray(off + 6, off + 6 + len)).map((b, i) => b ^ mask[i % 4]);
    const op = chunk[off] & 0x0f;
    counts.firstMessages.push(op === 8 ? `close ${data.length >= 2 ? data.readUInt16BE(0) : ''}` : data.toString());
    off += 6 + len;
  }
}

function kindOf(req) {
  const q = new URL(req.url, 'http://127.0.0.1').searchParams;
  return `${req.method} ${q.get('transport') || '-'} ${q.get('sid') ? 'sid' : 'open'}`;
}

// wrap counts the kernel writes of an upgraded socket and the chunks it
// delivers, without adding a 'data' listener (which would start the flow
// before the websocket server listens).
function wrap(socket) {
  const s = socket.wire;
  s.upgraded = true;
  const emit = socket.emit;
  socket.emit = function (ev, ...args) {
    if (ev === 'data') {
      s.reads++;
      if (counts.firstMessages.length === 0 || s.keeping) {
        s.keeping = true;
        keepMessages(args[0]);
      }
    }
    return emit.call(this, ev, ...args);
  };
  for (const name of ['_write', '_writev']) {
    const orig = socket[name];
    socket[name] = function (...args) {
      s.writes++;
      return orig.apply(this, args);
    };
  }
}

function settle(socket, into) {
  const s = socket.wire;
  const c = s.upgraded ? into.ws : into.http;
  c.bytesRead += socket.bytesRead;
  c.bytesWritten += socket.bytesWritten;
  if (s.upgraded) {
    c.reads += s.reads;
    c.writes += s.writes;
  }
}

function track(server) {
  server.prependListener('connection', (socket) => {
    counts.tcp++;
    socket.wire = { requests: 0, upgraded: false, reads: 0, writes: 0, ended: false };
    open.add(socket);
    socket.on('end', () => { socket.wire.ended = true; });
    socket.on('error', (err) => add(counts.socketErrors, err.code || err.message));
    socket.on('close', () => {
      open.delete(socket);
      if (socket.wire.ended) counts.closedByClient++;
      else counts.closedByServer++;
      settle(socket, counts);
    });
  });
  // Engine.IO takes over the request listeners already registered when it
  // attaches: this one is added once the server listens, after it.
  const listen = server.listen;
  server.listen = function (...args) {
    server.prependListener('request', countRequest);
    return listen.apply(this, args);
  };
  const countRequest = (req, res) => {
    if (log) logRequest(req, res);
    add(counts.requests, kindOf(req));
    keepHead(req.method === 'POST' ? 'polling POST' : 'polling GET', req);
    counts.headBytes += headSize(req);
    if (req.socket.wire && req.socket.wire.requests++ > 0) counts.reusedRequests++;
  };
  server.prependListener('upgrade', (req, socket) => {
    counts.upgrades++;
    add(counts.requests, kindOf(req));
    keepHead('websocket upgrade', req);
    counts.headBytes += headSize(req);
    add(counts.extensionsOffered, req.headers['sec-websocket-extensions'] || 'none');
    if (log) log.write(`${ms()} ${sidOf(req)} upgrade ${req.headers['sec-websocket-extensions'] || '-'}\n`);
    if (socket.wire) wrap(socket);
  });
}

const createServer = http.createServer;
http.createServer = function (...args) {
  const server = createServer.apply(this, args);
  track(server);
  return server;
};

function snapshot() {
  if (!out) return;
  const now = JSON.parse(JSON.stringify(counts));
  now.open = { http: 0, ws: 0 };
  for (const socket of open) {
    now.open[socket.wire.upgraded ? 'ws' : 'http']++;
    settle(socket, now);
  }
  fs.appendFileSync(out, JSON.stringify(now) + '\n');
}

process.on('SIGUSR2', snapshot);
// SIGHUP starts the counts again (after a warm-up); sockets open then are
// counted when they close.
process.on('SIGHUP', () => { counts = zero(); });
process.on('SIGTERM', snapshot);
