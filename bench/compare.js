'use strict';
// compare.js: the JSON side of bench/artillery-compare.sh.
//
//   node compare.js stats URL                 print the reference server's /__stats
//   node compare.js pings BEFORE AFTER        pings the server received between two stats files
//   node compare.js counters REPORT           emits, VUs created/completed/failed, errors of a report
//   node compare.js table RESULTS             the comparison table, in Markdown
//
// RESULTS is the tab-separated file the script writes, one line a run:
//   generator bench cpu_s rss_kb time_maxrss_kb wall_s emits created completed failed server_pings

const fs = require('fs');
const http = require('http');

function stats(url) {
  http.get(`${url}/__stats`, (res) => {
    let body = '';
    res.on('data', (chunk) => (body += chunk));
    res.on('end', () => process.stdout.write(body + '\n'));
  }).on('error', (err) => {
    console.error(`cannot read ${url}/__stats: ${err.message}`);
    process.exit(1);
  });
}

function pings(beforeFile, afterFile) {
  const count = (file) => {
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    return (s.received && s.received['/'] && s.received['/'].ping) || 0;
  };
  console.log(count(afterFile) - count(beforeFile));
}

// counters prints "emits created completed failed errors" from an Artillery or
// sockload JSON report. Artillery's socketio-v3 engine counts emits as
// engine.socketio.emit, its built-in engine and sockload as socketio.emit.
function counters(file) {
  const c = JSON.parse(fs.readFileSync(file, 'utf8')).aggregate.counters || {};
  const emits = c['socketio.emit'] ?? c['engine.socketio.emit'] ?? 0;
  const errors = Object.entries(c)
    .filter(([name]) => name.startsWith('errors.'))
    .map(([name, n]) => `${name}=${n}`)
    .join(',') || '-';
  console.log([emits, c['vusers.created'] ?? 0, c['vusers.completed'] ?? 0,
    c['vusers.failed'] ?? 0, errors].join(' '));
}

// readResults returns each generator and benchmark's runs, and their median:
// with RUNS > 1 the median run of each figure is what the table compares.
function readResults(file) {
  const all = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const [generator, bench, cpu, rss, maxrss, wall, emits, created, completed, failed, serverPings] =
      line.split('\t');
    // The sampled tree can miss a short peak; the largest single process's
    // peak (from getrusage) is a floor for the tree's.
    (all[`${generator}/${bench}`] ??= []).push({
      cpu: Number(cpu), rss: Math.max(Number(rss), Number(maxrss)), wall: Number(wall),
      emits: Number(emits), created: Number(created), completed: Number(completed),
      failed: Number(failed), serverPings: Number(serverPings),
    });
  }
  const median = (xs) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const medians = {};
  for (const [key, runs] of Object.entries(all)) {
    medians[key] = {};
    for (const field of Object.keys(runs[0])) medians[key][field] = median(runs.map((r) => r[field]));
  }
  return { all, medians };
}

const fmt = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const ratio = (a, s) => (Number.isFinite(a / s) && s > 0 ? `${(a / s).toFixed(1)}×` : 'n/a');

// table prints one row per figure: Artillery, sockload, their ratio and the
// goal, from the median of each generator's runs; then every run.
// "Marginal" figures subtract each generator's startup run (one VU, one ping), so
// that the fixed cost of starting the generator does not hide the cost per unit.
function table(file) {
  const { all, medians } = readResults(file);
  const get = (generator, bench) => medians[`${generator}/${bench}`];
  const rows = [];
  const row = (name, unit, digits, goal, f) => {
    const a = f('artillery');
    const s = f('sockload');
    rows.push(`| ${name} | ${fmt(a, digits)} ${unit} | ${fmt(s, digits)} ${unit} | ${ratio(a, s)} | ${goal} |`);
  };
  const perUnit = (bench, units, marginal) => (generator) => {
    const run = get(generator, bench);
    const base = get(generator, 'startup');
    if (!run || !(units(run) > 0)) return NaN;
    const cpu = marginal ? run.cpu - (base ? base.cpu : NaN) : run.cpu;
    return (cpu * 1e6) / units(run);
  };
  const acked = (run) => run.serverPings;
  const arrivals = (run) => run.created;

  row('Startup: CPU of one VU, one ping', 's', 2, '', (t) => get(t, 'startup')?.cpu ?? NaN);
  row('Startup: peak RSS', 'MB', 0, '', (t) => (get(t, 'startup')?.rss ?? NaN) / 1024);
  row('CPU per acknowledged emit (total CPU / acked emits)', 'µs', 1, '≥ 25×', perUnit('ack-loop', acked, false));
  row('CPU per acknowledged emit, marginal (startup subtracted)', 'µs', 1, '', perUnit('ack-loop', acked, true));
  row('CPU per arrival (total CPU / arrivals)', 'µs', 0, '≥ 10×', perUnit('arrivals', arrivals, false));
  row('CPU per arrival, marginal (startup subtracted)', 'µs', 0, '', perUnit('arrivals', arrivals, true));
  row('Peak RSS at 2,000 idle VUs (process tree)', 'MB', 0, '≥ 5×', (t) => (get(t, 'idle')?.rss ?? NaN) / 1024);
  row('RSS per idle VU, marginal (startup RSS subtracted)', 'KB', 1, '', (t) => {
    const run = get(t, 'idle');
    const base = get(t, 'startup');
    return run && base ? (run.rss - base.rss) / run.created : NaN;
  });

  console.log('| figure | Artillery | sockload | Artillery / sockload | goal |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const r of rows) console.log(r);
  console.log('');
  console.log('| benchmark | generator | run | CPU s | peak RSS MB | wall s | VUs created | completed | failed | emits (report) | pings (server) |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [key, runs] of Object.entries(all)) {
    const [generator, bench] = key.split('/');
    runs.forEach((r, i) => {
      console.log(`| ${bench} | ${generator} | ${i + 1} | ${fmt(r.cpu, 2)} | ${fmt(r.rss / 1024, 0)} | ${fmt(r.wall, 1)} | ` +
        `${r.created} | ${r.completed} | ${r.failed} | ${r.emits} | ${r.serverPings} |`);
    });
  }
}

const [cmd, ...args] = process.argv.slice(2);
const commands = { stats, pings, counters, table };
if (!commands[cmd]) {
  console.error('usage: node compare.js stats URL | pings BEFORE AFTER | counters REPORT | table RESULTS');
  process.exit(2);
}
commands[cmd](...args);
