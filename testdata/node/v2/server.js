'use strict';
// socket.io 2.x (Engine.IO v3, Socket.IO protocol v4).
const socketio = require('socket.io');
require('../server.js')({
  packageJSONPath: require.resolve('socket.io/package.json'),
  create: (httpServer, opts) => socketio(httpServer, opts),
});
