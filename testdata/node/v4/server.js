'use strict';
// socket.io 4.x (Engine.IO v4, Socket.IO protocol v5).
const { Server } = require('socket.io');
require('../server.js')({
  packageJSONPath: require.resolve('socket.io/package.json'),
  create: (httpServer, opts) => new Server(httpServer, opts),
});
