'use strict';
// latency-client.js: the official socket.io-client 4.8 emitting the same
// acknowledged "wait" events as bench/latency-truth.sh's sockload run, timing
// each round trip itself: an independent client's view beside the server's.
//
//   node bench/latency-client.js URL VUS EMITS RAMP_SECONDS
//
// VUS connections start evenly over RAMP_SECONDS, each over websocket; each
// emits "wait" EMITS times, one after the other, each waiting for its
// acknowledgement. Prints {"count", "p50", "p90", "p99", "max"} in ms; exits 1
// if any connection failed.
const path = require('path');
const io = require(path.join(__dirname, '../target/testdata/node-client-v4/node_modules/socket.io-client'));

const [url, vus, emits, ramp] = process.argv.slice(2);
const n = Number(vus), m = Number(emits), rampMs = Number(ramp) * 1000;
if (!url || !(n >= 1) || !(m >= 1) || !(rampMs >= 0)) {
  console.error('usage: node latency-client.js URL VUS EMITS RAMP_SECONDS');
  process.exit(2);
}

const rtts = [];
let done = 0, failed = 0;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function finish(ok, err) {
  if (!ok && failed++ === 0) console.error(`latency-client: ${err}`);
  if (++done < n) return;
  const s = rtts.sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  console.log(JSON.stringify({ count: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] }));
  process.exit(failed ? 1 : 0);
}

function session() {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  let left = m, settled = false;
  const settle = (ok, err) => {
    if (settled) return;
    settled = true;
    socket.close();
    finish(ok, err);
  };
  const next = () => {
    if (left-- === 0) return settle(true);
    const sent = nowMs();
    socket.emit('wait', (answer) => {
      rtts.push(nowMs() - sent);
      if (answer !== 'done') return settle(false, `ack ${answer}, want done`);
      next();
    });
  };
  socket.on('connect', next);
  socket.on('connect_error', (err) => settle(false, err.message));
  socket.on('disconnect', (reason) => settle(false, `disconnected: ${reason}`));
}

for (let i = 0; i < n; i++) setTimeout(session, (rampMs * i) / n);
