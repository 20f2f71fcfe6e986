'use strict';
// idle-client.js: the official socket.io-client 4.x holding idle connections,
// for bench/naive-compare.sh (the server's cost of an idle client).
//
//   node bench/idle-client.js URL COUNT RAMP_SECONDS HOLD_SECONDS [default]
//
// COUNT connections start evenly over RAMP_SECONDS, each over websocket only
// (with "default": the client's default transports, HTTP long-polling and
// then the upgrade to websocket);
// each emits "ping" once with an acknowledgement, stays connected
// HOLD_SECONDS answering heartbeats, and disconnects. Exits 1 if any failed.
const path = require('path');
const io = require(path.join(__dirname, '../target/testdata/node-client-v4/node_modules/socket.io-client'));

const [url, count, ramp, hold, transports] = process.argv.slice(2);
const n = Number(count), rampMs = Number(ramp) * 1000, holdMs = Number(hold) * 1000;
if (!url || !(n >= 1) || !(rampMs >= 0) || !(holdMs >= 0) || ![undefined, 'default'].includes(transports)) {
  console.error('usage: node idle-client.js URL COUNT RAMP_SECONDS HOLD_SECONDS [default]');
  process.exit(2);
}

let done = 0, failed = 0;
function finish(ok, err) {
  if (!ok) {
    if (failed++ === 0) console.error(`idle-client: ${err}`);
  }
  if (++done === n) {
    console.log(`connections ${n} ok ${n - failed} failed ${failed}`);
    process.exit(failed ? 1 : 0);
  }
}

function session() {
  const options = { reconnection: false, forceNew: true };
  if (transports !== 'default') options.transports = ['websocket'];
  const socket = io(url, options);
  let settled = false;
  const settle = (ok, err) => {
    if (settled) return;
    settled = true;
    socket.close();
    finish(ok, err);
  };
  socket.on('connect_error', (err) => settle(false, err.message));
  socket.on('disconnect', (reason) => settle(false, `disconnected: ${reason}`));
  socket.emit('ping', (answer) => {
    if (answer !== 'pong') return settle(false, `ack ${answer}, want pong`);
    setTimeout(() => settle(true), holdMs);
  });
}

for (let i = 0; i < n; i++) setTimeout(session, (rampMs * i) / n);
