'use strict';
// An independent observer of delivery time, for sockload's cluster tests:
// a socket.io-client that joins a room and records, for each chat message,
// its receive time minus the server's stamp (msg.serverTs), in ms.
//
//   node observer.js --url http://127.0.0.1:8080 --room r --count 50
//
// It prints "joined" once in the room, then after count messages (or
// --timeout ms) one line of JSON: {"delays": [...]}.
const { io } = require('socket.io-client');

const flags = { url: '', room: 'r', count: 1, timeout: 60000 };
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) {
  const key = argv[i].replace(/^--/, '');
  flags[key] = key === 'url' || key === 'room' ? argv[i + 1] : Number(argv[i + 1]);
}

const now = () => performance.timeOrigin + performance.now();
const delays = [];
const socket = io(flags.url, { transports: ['websocket'] });
const done = () => {
  console.log(JSON.stringify({ delays }));
  socket.close();
  process.exit(0);
};
setTimeout(done, flags.timeout);
socket.on('chat', (msg) => {
  if (msg && typeof msg.serverTs === 'number') delays.push(now() - msg.serverTs);
  if (delays.length >= flags.count) done();
});
socket.on('connect', () => {
  socket.emit('join', flags.room, () => console.log('joined'));
});
