'use strict';
// Chat server of sockload's cluster tests: one node of a socket.io 4.8
// cluster whose nodes share rooms through @socket.io/redis-adapter.
//
//   node server.js --port 0 --name n1 --redis redis://127.0.0.1:6379 \
//       --drop 0.1 --relay-delay 20
//
// join (room, ack)   joins the room; acks the node's name
// chat (msg, ack)    relays msg {room, ...} to the others in msg.room, as
//                    socket.to(room).emit('chat', msg), stamped with the
//                    node's receive time in msg.serverTs (Unix ms, with
//                    fractions); acks true
//
// Without --redis the adapter is socket.io's in-memory one: rooms are local
// to each process. --drop F drops each delivery of a chat message to a
// socket of this node with probability F (whichever node it came from) and
// counts it. GET /__stats returns {name, connections, relayed, delivered,
// dropped}. It listens on 127.0.0.1 only and prints "listening <port>".
const http = require('http');
const { Server } = require('socket.io');
const { Adapter } = require('socket.io-adapter');

function parseFlags(argv) {
  const flags = { port: 0, name: 'node', redis: '', drop: 0, relayDelay: 0 };
  const names = {
    '--port': ['port', Number],
    '--name': ['name', String],
    '--redis': ['redis', String],
    '--drop': ['drop', Number],
    '--relay-delay': ['relayDelay', Number],
  };
  for (let i = 0; i < argv.length; i++) {
    const spec = names[argv[i]];
    if (!spec || i + 1 >= argv.length) {
      console.error(`unknown or incomplete flag: ${argv[i]}`);
      process.exit(2);
    }
    flags[spec[0]] = spec[1](argv[++i]);
  }
  return flags;
}

const flags = parseFlags(process.argv.slice(2));
const stats = { name: flags.name, connections: 0, relayed: 0, delivered: 0, dropped: 0 };

// Every delivery of a broadcast to a local socket goes through the in-memory
// adapter's broadcast (the Redis adapter calls it for local emits and for
// those arriving from other nodes), so this is where chat deliveries are
// counted, and dropped.
const broadcast = Adapter.prototype.broadcast;
Adapter.prototype.broadcast = function (packet, opts) {
  if (!packet.data || packet.data[0] !== 'chat') return broadcast.call(this, packet, opts);
  const apply = this.apply;
  this.apply = (o, deliver) => apply.call(this, o, (socket) => {
    if (flags.drop > 0 && Math.random() < flags.drop) {
      stats.dropped++;
      return;
    }
    stats.delivered++;
    deliver(socket);
  });
  try {
    return broadcast.call(this, packet, opts);
  } finally {
    delete this.apply;
  }
};

const now = () => performance.timeOrigin + performance.now();

async function main() {
  const httpServer = http.createServer((req, res) => {
    if (req.url === '/__stats') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(stats));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const io = new Server(httpServer, { cors: { origin: '*' } });
  if (flags.redis) {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    const pub = createClient({ url: flags.redis });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => {
    stats.connections++;
    socket.on('join', (room, ack) => {
      socket.join(String(room));
      if (typeof ack === 'function') ack(flags.name);
    });
    socket.on('chat', (msg, ack) => {
      if (msg && typeof msg.room === 'string') {
        msg.serverTs = now();
        stats.relayed++;
        const relay = () => socket.to(msg.room).emit('chat', msg);
        if (flags.relayDelay > 0) setTimeout(relay, flags.relayDelay);
        else relay();
      }
      if (typeof ack === 'function') ack(true);
    });
  });
  httpServer.listen(flags.port, '127.0.0.1', () => {
    console.log(`listening ${httpServer.address().port}`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
