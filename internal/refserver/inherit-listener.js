'use strict';
// Preloaded into the reference servers by internal/refserver (node --require).
// The test process binds the port and hands the listening socket over as file
// descriptor 3; whatever address server.js asks for, it listens there. A
// restarted server thus serves the same port without the port ever being free
// for another process to take meanwhile.
const net = require('net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const callback = args.find((arg) => typeof arg === 'function');
  return listen.call(this, { fd: 3 }, callback);
};
