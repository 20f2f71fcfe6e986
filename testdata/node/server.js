'use strict';
// Reference Socket.IO server used by sockload's tests. The same logic runs on
// socket.io 4.x (v4/) and 2.x (v2/); each wrapper passes in its own copy of the
// package. Configured by flags, for example:
//
//   node v4/server.js --port 0 --namespaces /,/chat --auth-token secret \
//       --ping-interval 300 --ping-timeout 200 --max-http-buffer-size 1000 \
//       --push-interval 100 --cookie --path /socket.io --refuse-with-id
//
// It listens on 127.0.0.1 only and prints "listening <port>" once ready.
//
// HTTP routes beside socket.io's, for flows that log in first:
//   POST /login {"username", "password": "secret"} (JSON or form) -> 200
//     {"token", "user"} and the cookie session=<token>; 401 otherwise
//   GET /me (Authorization: Bearer <token> or the session cookie) -> {"user"}
//   GET /status/<code> -> that status; GET /delay/<ms> -> 200 after ms
//   ANY /echo -> {"method", "url", "headers", "body"} of the request
//   GET /__stats -> counts; GET /__received (with --record) -> every event
//     received, as {namespace, packet (its JSON), ack (one was asked for)};
//     with --record an event without a handler is acked with "ok" and
//     answered with the event "<event>:reply"
// The namespace /private accepts only logged-in sockets: a login token in
// auth.token or the token query parameter, or the session cookie.
const crypto = require('crypto');
const http = require('http');

function parseFlags(argv) {
  const flags = {
    port: 0,
    namespaces: '/',
    authToken: '',
    pingInterval: 0,
    pingTimeout: 0,
    maxHttpBufferSize: 0,
    pushInterval: 0,
    cookie: false,
    refuseWithId: false,
    record: false,
    path: '/socket.io',
  };
  const names = {
    '--port': ['port', Number],
    '--namespaces': ['namespaces', String],
    '--auth-token': ['authToken', String],
    '--ping-interval': ['pingInterval', Number],
    '--ping-timeout': ['pingTimeout', Number],
    '--max-http-buffer-size': ['maxHttpBufferSize', Number],
    '--push-interval': ['pushInterval', Number],
    '--path': ['path', String],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--cookie' || arg === '--record') {
      flags[arg.slice(2)] = true;
      continue;
    }
    if (arg === '--refuse-with-id') {
      flags.refuseWithId = true;
      continue;
    }
    const spec = names[arg];
    if (!spec || i + 1 >= argv.length) {
      console.error(`unknown or incomplete flag: ${arg}`);
      process.exit(2);
    }
    flags[spec[0]] = spec[1](argv[++i]);
  }
  return flags;
}

function serverOptions(flags, major) {
  const opts = { path: flags.path };
  if (flags.pingInterval) opts.pingInterval = flags.pingInterval;
  if (flags.pingTimeout) opts.pingTimeout = flags.pingTimeout;
  if (flags.maxHttpBufferSize) opts.maxHttpBufferSize = flags.maxHttpBufferSize;
  if (flags.cookie) opts.cookie = major >= 3 ? { name: 'io', httpOnly: true, path: '/' } : 'io';
  return opts;
}

// Counts every event received, per namespace and event name, for tests that
// check exact totals (GET /__stats).
const stats = { connections: 0, received: {}, engineErrors: [], httpRequests: 0, disconnects: {} };

// Every Engine.IO request the server refuses (an HTTP status of 400 or more
// on its path, such as 400 {"code":1,"message":"Session ID unknown"}) is
// logged to stderr, as an operator grepping server logs would see it, and
// kept (the first 100) for tests that check a client leaves no such trace.
function recordRefusals(flags) {
  return (req, res) => {
    if (!req.url.startsWith(flags.path)) return;
    const end = res.end;
    res.end = function (chunk, ...rest) {
      if (res.statusCode >= 400) {
        const body = chunk ? String(chunk).slice(0, 200) : '';
        const line = `engine.io refused ${req.method} ${req.url}: ${res.statusCode} ${body}`;
        console.error(line);
        if (stats.engineErrors.length < 100) stats.engineErrors.push(line);
      }
      return end.call(this, chunk, ...rest);
    };
  };
}

function countEvent(nsp, event) {
  const byEvent = stats.received[nsp] || (stats.received[nsp] = {});
  byEvent[event] = (byEvent[event] || 0) + 1;
}

// Cookie header seen on the latest request of each Engine.IO session, so a test
// can check that the client sends back what the server set (sticky sessions).
const cookiesBySid = new Map();

function recordCookie(req) {
  const sid = new URL(req.url, 'http://127.0.0.1').searchParams.get('sid');
  if (sid) cookiesBySid.set(sid, req.headers.cookie || '');
}

// callAck calls the ack callback, the last of args when there is one.
function callAck(args, ...answer) {
  const ack = args[args.length - 1];
  if (typeof ack === 'function') ack(...answer);
}

// Login tokens are <user>.<mac>: checked without keeping a table, so any
// number of logins costs no memory.
const loginSecret = crypto.randomBytes(16);
const loginPassword = 'secret';

function tokenFor(user) {
  const mac = crypto.createHmac('sha256', loginSecret).update(user).digest('hex').slice(0, 16);
  return `${user}.${mac}`;
}

function userOf(token) {
  if (typeof token !== 'string') return null;
  const i = token.lastIndexOf('.');
  if (i <= 0) return null;
  const user = token.slice(0, i);
  return tokenFor(user) === token ? user : null;
}

function cookieValue(header, name) {
  for (const part of (header || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

function loginUserOf(socket) {
  const auth = socket.handshake.auth || {};
  return userOf(auth.token) || userOf(socket.handshake.query.token) ||
    userOf(cookieValue(socket.handshake.headers.cookie, 'session'));
}

// Events received, in order, with --record: what a client put on the wire.
const received = [];

function sendJSON(res, status, value, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function readBody(req, done) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size <= 1 << 20) chunks.push(c);
  });
  req.on('end', () => done(Buffer.concat(chunks).toString()));
}

function parseCredentials(req, body) {
  const type = req.headers['content-type'] || '';
  try {
    if (type.startsWith('application/json')) return JSON.parse(body);
    if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  } catch (e) {
    return null;
  }
  return null;
}

// httpRoute answers the HTTP routes above; false when the URL is none of them.
function httpRoute(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method === 'POST' && url.pathname === '/login') {
    readBody(req, (body) => {
      const creds = parseCredentials(req, body);
      if (!creds || typeof creds.username !== 'string' || creds.username === '' || creds.username.includes(';')) {
        return sendJSON(res, 400, { error: 'send {"username", "password"} as JSON or a form' });
      }
      if (creds.password !== loginPassword) return sendJSON(res, 401, { error: 'invalid credentials' });
      const token = tokenFor(creds.username);
      sendJSON(res, 200, { token, user: creds.username }, { 'set-cookie': `session=${token}; Path=/; HttpOnly` });
    });
    return true;
  }
  if (url.pathname === '/me') {
    const bearer = (req.headers.authorization || '').replace(/^Bearer /, '');
    const user = userOf(bearer) || userOf(cookieValue(req.headers.cookie, 'session'));
    if (!user) sendJSON(res, 401, { error: 'log in first' });
    else sendJSON(res, 200, { user });
    return true;
  }
  let m = url.pathname.match(/^\/status\/(\d{3})$/);
  if (m) {
    sendJSON(res, Number(m[1]), { status: Number(m[1]) });
    return true;
  }
  m = url.pathname.match(/^\/delay\/(\d+)$/);
  if (m) {
    setTimeout(() => sendJSON(res, 200, { delayed: Number(m[1]) }), Math.min(Number(m[1]), 10000));
    return true;
  }
  if (url.pathname === '/echo') {
    readBody(req, (body) => sendJSON(res, 200, { method: req.method, url: req.url, headers: req.headers, body }));
    return true;
  }
  if (url.pathname === '/__received') {
    sendJSON(res, 200, received);
    return true;
  }
  return false;
}

function tokenOf(socket) {
  const auth = socket.handshake.auth;
  if (auth && auth.token !== undefined) return String(auth.token);
  return socket.handshake.query.token;
}

function attachHandlers(io, nsp, flags) {
  const namespace = io.of(nsp);
  if (flags.refuseWithId) {
    // A refusal whose message differs per connection, as servers that name
    // the session in their errors do.
    namespace.use((socket, next) => {
      const err = new Error(`session ${socket.id} refused`);
      err.data = { sid: socket.id };
      next(err);
    });
  }
  if (nsp === '/private') {
    namespace.use((socket, next) => {
      const user = loginUserOf(socket);
      if (!user) return next(new Error('login required'));
      socket.data = socket.data || {};
      socket.data.user = user;
      next();
    });
  }
  if (flags.authToken) {
    namespace.use((socket, next) => {
      if (tokenOf(socket) === flags.authToken) return next();
      next(new Error('invalid token'));
    });
  }
  namespace.on('connection', (socket) => {
    stats.connections++;
    let pushTimer = null;
    if (flags.pushInterval) {
      let n = 0;
      pushTimer = setInterval(() => socket.emit('tick', ++n), flags.pushInterval);
    }
    socket.on('disconnect', (reason) => {
      stats.disconnects[reason] = (stats.disconnects[reason] || 0) + 1;
      if (pushTimer) clearInterval(pushTimer);
    });
    const anyHandler = (event) => countEvent(nsp, event);

    // Handlers that answer take the ack as their last argument, whatever
    // comes before it: Artillery sends emit {channel} without data as
    // [channel, null].
    const handlers = {
      ping: (...args) => callAck(args, 'pong'),
      // echo acks with every argument it received, binary included.
      echo: (...args) => {
        const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
        if (ack) ack(...args);
      },
      // echo-event sends the arguments back as an "echo" event (binary included).
      'echo-event': (...args) => {
        if (typeof args[args.length - 1] === 'function') args.pop();
        socket.emit('echo', ...args);
      },
      // push sends count events named event, each with one argument: its index.
      push: (event, count, ack) => {
        for (let i = 0; i < count; i++) socket.emit(event, i);
        if (typeof ack === 'function') ack(count);
      },
      join: (room, ack) => {
        socket.join(room);
        if (typeof ack === 'function') ack(room);
      },
      broadcast: (room, event, ...args) => {
        const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
        namespace.to(room).emit(event, ...args);
        if (ack) ack(true);
      },
      // chat relays a message to the others in its room, as socket.to(room).
      chat: (msg, ack) => {
        if (msg && typeof msg.room === 'string') socket.to(msg.room).emit('chat', msg);
        if (typeof ack === 'function') ack(true);
      },
      'disconnect-me': () => socket.disconnect(true),
      handshake: (...args) => callAck(args, {
        query: socket.handshake.query,
        headers: socket.handshake.headers,
        auth: socket.handshake.auth || null,
        namespace: nsp,
      }),
      cookie: (...args) => callAck(args, cookiesBySid.get(socket.conn.id) || ''),
      whoami: (...args) => callAck(args, (socket.data && socket.data.user) || loginUserOf(socket) || null),
      // noack takes an ack callback and never calls it.
      noack: () => {},
    };
    for (const [event, handler] of Object.entries(handlers)) {
      socket.on(event, (...args) => {
        anyHandler(event);
        handler(...args);
      });
    }
    // Events without a handler are counted too (socket.io 2.x has no onAny).
    const onevent = socket.onevent;
    socket.onevent = function (packet) {
      const event = packet.data && packet.data[0];
      if (flags.record) {
        received.push({ namespace: nsp, packet: JSON.stringify(packet.data), ack: packet.id !== undefined && packet.id !== null });
      }
      if (!(event in handlers)) anyHandler(String(event));
      const result = onevent.call(this, packet);
      if (flags.record && !(event in handlers)) {
        // So that a client waiting for an ack or a response goes on: an
        // event without a handler is acked with "ok" and answered with
        // "<event>:reply".
        if (packet.id !== undefined && packet.id !== null) this.packet({ type: 3, id: packet.id, data: ['ok'], nsp });
        socket.emit(`${event}:reply`, 'ok');
      }
      return result;
    };
  });
}

module.exports = function start(socketio) {
  const flags = parseFlags(process.argv.slice(2));
  const major = Number(require(socketio.packageJSONPath).version.split('.')[0]);
  const server = http.createServer((req, res) => {
    if (req.url === '/__stats') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(stats));
      return;
    }
    if (!req.url.startsWith(flags.path) && httpRoute(req, res)) {
      stats.httpRequests++;
      return;
    }
    // socket.io handles its own path; answer anything else.
    if (!req.url.startsWith(flags.path)) {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  const io = socketio.create(server, serverOptions(flags, major));
  // After socket.io attached itself: it takes over the request listeners
  // registered before it and calls them only for other paths.
  server.prependListener('request', recordCookie);
  server.prependListener('request', recordRefusals(flags));
  server.prependListener('upgrade', recordCookie);
  for (const nsp of flags.namespaces.split(',').filter(Boolean)) {
    attachHandlers(io, nsp, flags);
  }
  server.listen(flags.port, '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`);
  });
  const stop = () => {
    io.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
};
