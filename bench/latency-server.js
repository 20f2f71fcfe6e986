'use strict';
// latency-server.js: a socket.io 4.8 server (testdata/node/v4) that
// acknowledges the event "wait" after a fixed delay and measures, on its side,
// what a client's round trip of that emit should be. bench/latency-truth.sh
// runs it under sockload.
//
//   node bench/latency-server.js --port 0 --delay 20 --ping-interval 250
//
// For every "wait" it records the hold: from the handler's call (the emit
// decoded) to the acknowledgement handed to the socket (ws's write into
// net.Socket: at once when the transport is writable, else at the engine's
// next flush). The hold is the fixed delay plus the event loop's lateness.
// For every Engine.IO heartbeat it records the transit: from the ping handed
// to the transport to the client's pong received, the same connection's round
// trip through the network and the client's read and write paths, measured
// by the server's clock. A client's round trip of an emit is a hold plus a
// transit, so the ground truth of its p50 is hold p50 + transit p50.
//
// GET /__latency prints {"hold": summary, "transit": summary} in ms, each
// summary {count, p50, p90, p99, max}; DELETE /__latency clears them.
// It listens on 127.0.0.1 only and prints "listening <port>" once ready.
const http = require('http');
const path = require('path');
const { Server } = require(path.join(__dirname, '../testdata/node/v4/node_modules/socket.io'));

function flag(name, fallback) {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!(value >= 0)) {
    console.error(`${name} takes a number of milliseconds`);
    process.exit(2);
  }
  return value;
}

const port = flag('--port', 0);
const delayMs = flag('--delay', 20);
const pingInterval = flag('--ping-interval', 250);

const samples = { hold: [], transit: [] };
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : null);
  return { count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1] : null };
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/socket.io/')) return;
  if (req.url !== '/__latency') {
    res.statusCode = 404;
    return res.end('not found');
  }
  if (req.method === 'DELETE') {
    samples.hold = [];
    samples.transit = [];
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ delayMs, hold: summary(samples.hold), transit: summary(samples.transit) }));
});

const io = new Server(server, { pingInterval, pingTimeout: 20000 });

io.on('connection', (socket) => {
  const conn = socket.conn;
  let pingAt = null;
  conn.on('packetCreate', (packet) => {
    if (packet.type === 'ping') pingAt = null;
  });
  // flush fires as the engine hands its buffer to the transport.
  conn.on('flush', (packets) => {
    if (packets.some((p) => p.type === 'ping')) pingAt = nowMs();
  });
  conn.on('packet', (packet) => {
    if (packet.type === 'pong' && pingAt !== null) {
      samples.transit.push(nowMs() - pingAt);
      pingAt = null;
    }
  });
  socket.on('wait', (...args) => {
    const ack = args[args.length - 1];
    if (typeof ack !== 'function') return;
    const receivedAt = nowMs();
    setTimeout(() => {
      ack('done');
      const record = () => samples.hold.push(nowMs() - receivedAt);
      if (conn.writeBuffer.length === 0) record();
      else conn.once('flush', record);
    }, delayMs);
  });
});

server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
const stop = () => {
  io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
