'use strict';
// Preloaded into the reference servers by internal/refserver (node --require).
// The test process binds the port and hands the socket over as file descriptor
// 3; whatever address server.js asks for, it listens there. A restarted server
// thus gets the same port back: between two server processes the port refuses
// connections but stays bound, never free for another process to take.
const net = require('net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const callback = args.find((arg) => typeof arg === 'function');
  return listen.call(this, { fd: 3 }, callback);
};
