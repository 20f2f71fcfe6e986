'use strict';
// Runs an official socket.io-client (2.x for a target started with --eio 3,
// 4.x for --eio 4) against sockload's built-in target, and exits 0 when
// every exchange gave the answer the Node reference server gives. Usage:
//
//   SOCKET_IO_CLIENT=<path to socket.io-client> node client.js URL TRANSPORTS
//
// TRANSPORTS is a comma-separated list, as socket.io-client's option.
const io = require(process.env.SOCKET_IO_CLIENT);
const assert = require('assert');

const [url, transports] = process.argv.slice(2);
const opts = { reconnection: false, forceNew: true, transports: transports.split(',') };
// Socket.IO protocol 5 (socket.io-client 3.x/4.x) or 4 (2.x).
const v5 = io.protocol >= 5;

function fail(err) {
  console.error(`FAIL ${err && err.stack ? err.stack : err}`);
  process.exit(1);
}
setTimeout(() => fail('timed out'), 10000);

// call emits and resolves with the ack's arguments; the step is printed so
// a timeout shows where the exchange stopped.
function call(socket, ...args) {
  console.log(`step ${socket.nsp} ${args[0]}`);
  return new Promise((resolve) => socket.emit(...args, (...answer) => resolve(answer)));
}

function connected(socket) {
  console.log(`step connect ${socket.nsp}`);
  return new Promise((resolve, reject) => {
    socket.on('connect', resolve);
    socket.on('error', reject);
    socket.on('connect_error', reject);
  });
}

async function main() {
  const main = io(url, opts);
  await connected(main);
  if (v5) {
    // socket.io-client 2.x reserves "ping" for itself (emit only fires
    // local listeners); 4.x sends it.
    assert.deepStrictEqual(await call(main, 'ping'), ['pong']);
  }
  const echoed = await call(main, 'echo', 'hi', 2, Buffer.from([1, 2, 255]), { nested: Buffer.from([7]) });
  assert.strictEqual(echoed[0], 'hi');
  assert.strictEqual(echoed[1], 2);
  assert.deepStrictEqual([...echoed[2]], [1, 2, 255]);
  assert.deepStrictEqual([...echoed[3].nested], [7]);

  const pushed = [];
  main.on('item', (i) => pushed.push(i));
  assert.deepStrictEqual(await call(main, 'push', 'item', 3), [3]);
  assert.deepStrictEqual(pushed, [0, 1, 2]);

  // Protocol 5 carries auth in CONNECT; protocol 4 a query on the namespace.
  const chat = v5
    ? io(url + '/chat', { ...opts, auth: { token: 'abc' } })
    : io(url + '/chat?token=abc', opts);
  await connected(chat);
  const hs = (await call(chat, 'handshake'))[0];
  assert.strictEqual(hs.namespace, '/chat');
  assert.strictEqual(v5 ? hs.auth.token : hs.query.token, 'abc');

  assert.deepStrictEqual(await call(chat, 'join', 'room'), ['room']);
  const news = new Promise((resolve) => chat.on('news', (...args) => resolve(args)));
  assert.deepStrictEqual(await call(chat, 'broadcast', 'room', 'news', 'x', Buffer.from([9])), [true]);
  const got = await news;
  assert.strictEqual(got[0], 'x');
  assert.deepStrictEqual([...got[1]], [9]);

  if (opts.transports.length > 1) {
    // Polling first, then the upgrade to websocket.
    const engine = main.io.engine;
    if (engine.transport.name !== 'websocket') {
      await new Promise((resolve) => engine.once('upgrade', resolve));
    }
    assert.deepStrictEqual(await call(main, 'echo', 'after upgrade'), ['after upgrade']);
  }

  const closed = new Promise((resolve) => main.on('disconnect', resolve));
  const transport = main.io.engine.transport.name;
  main.emit('disconnect-me');
  assert.strictEqual(await closed, 'io server disconnect');
  console.log(`OK ${transport}`);
  process.exit(0);
}

main().catch(fail);
