'use strict';
// wire-parity.js ARTILLERY.json SOCKLOAD.json SERVER_VERSION: the table of
// what a socket.io server received from each tool for every emit form of
// bench/scenarios/wire-parity.yml, as testdata/wire/parity.json holds it.
const fs = require('fs');

// Differences on purpose, by event: sockload checks acknowledge and
// response on one step, so it asks for the ack that Artillery does not.
const onPurpose = {
  'object-acknowledge-and-response':
    'with acknowledge and response on one step Artillery asks for no ack and waits for the response alone; sockload asks for the ack and checks both',
};

function byEvent(file) {
  const out = {};
  for (const r of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    out[JSON.parse(r.packet)[0]] = { namespace: r.namespace, packet: r.packet, ack: r.ack };
  }
  return out;
}

const [artilleryFile, sockloadFile, server] = process.argv.slice(2);
const artillery = byEvent(artilleryFile);
const sockload = byEvent(sockloadFile);
const forms = Object.keys(artillery).map((event) => {
  const a = artillery[event];
  const s = sockload[event] || null;
  const same = s !== null && s.packet === a.packet && s.ack === a.ack && s.namespace === a.namespace;
  return { event, artillery: a, sockload: s, same, difference: onPurpose[event] || '' };
});
for (const event of Object.keys(sockload)) {
  if (!(event in artillery)) forms.push({ event, artillery: null, sockload: sockload[event], same: false, difference: '' });
}
const table = {
  recordedWith: {
    artillery: require('./artillery/node_modules/artillery/package.json').version,
    'artillery-engine-socketio-v3': require('./artillery/node_modules/artillery-engine-socketio-v3/package.json').version,
    server: `socket.io ${server}`,
    scenario: 'bench/scenarios/wire-parity.yml',
  },
  forms,
};
process.stdout.write(JSON.stringify(table, null, 2) + '\n');
const unexplained = forms.filter((f) => !f.same && !f.difference);
for (const f of unexplained) {
  console.error(`differs: ${f.event}: Artillery sent ${JSON.stringify(f.artillery)}, sockload ${JSON.stringify(f.sockload)}`);
}
process.exitCode = unexplained.length ? 1 : 0;
