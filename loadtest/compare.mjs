#!/usr/bin/env node
// Prints a Markdown table comparing confab-loadgen reports (the JSON files), with ratio
// columns confab ÷ reference for every confab target (name starting with "confab") against
// every other target.
//
//   node loadtest/compare.mjs results/fanout-confab-*.json results/fanout-node-*.json
import fs from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: compare.mjs REPORT.json...');
  process.exit(2);
}
const reports = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));

const mb = (kb) => (kb ? kb / 1024 : 0);
const aux = (r, name) => r.aux?.find((a) => a.name === name)?.cpuPercent;
// [label, value(report), lower is better?, show in ratio?]
const rows = [
  ['clients joined', (r) => `${r.connect.joined}/${r.connect.attempted}`, null, false],
  ['sent msgs/s', (r) => r.sends.sentPerSec, false, false],
  ['acked sends/s', (r) => r.sends.ackedPerSec, false, true],
  ['ack p50 ms', (r) => r.sends.ackLatencyMs.p50, true, true],
  ['ack p99 ms', (r) => r.sends.ackLatencyMs.p99, true, true],
  ['delivered msgs/s', (r) => r.delivery.perSec, false, true],
  ['delivery p50 ms', (r) => r.delivery.latencyMs.p50, true, true],
  ['delivery p90 ms', (r) => r.delivery.latencyMs.p90, true, false],
  ['delivery p99 ms', (r) => r.delivery.latencyMs.p99, true, true],
  ['delivery p99.9 ms', (r) => r.delivery.latencyMs.p999, true, false],
  ['connects/s', (r) => r.connect.perSec, false, true],
  ['connect p50 ms', (r) => r.connect.latencyMs.p50, true, false],
  ['connect p99 ms', (r) => r.connect.latencyMs.p99, true, true],
  ['server CPU, % of one core (measured window)', (r) => r.server?.cpuPercent, true, true],
  ['server CPU, % of one core (connect phase)', (r) => r.server?.cpuPercentConnect, true, false],
  ['server RSS peak MB', (r) => mb(r.server?.rssKbPeak), true, true],
  ['server RSS per connection KB', (r) => r.server?.rssPerConnectionKb, true, true],
  ['loadgen CPU %', (r) => r.loadgen?.cpuPercent, null, false],
  ['PostgreSQL CPU, % of one core (measured window)', (r) => aux(r, 'postgres'), true, false],
  ['Redis CPU, % of one core (measured window)', (r) => aux(r, 'redis-server'), true, false],
  ['machine CPU busy, % of one core (measured window)', (r) => r.machine?.cpuPercent, null, false],
  ['same-node delivery p50 ms', (r) => r.delivery.sameNodeLatencyMs?.p50, true, false],
  ['same-node delivery p99 ms', (r) => r.delivery.sameNodeLatencyMs?.p99, true, false],
  ['cross-node delivery p50 ms', (r) => r.delivery.crossNodeLatencyMs?.p50, true, false],
  ['cross-node delivery p99 ms', (r) => r.delivery.crossNodeLatencyMs?.p99, true, false],
  ['lost deliveries', (r) => r.delivery.lost, true, false],
  ['duplicated deliveries', (r) => r.delivery.duplicated, true, false],
  ['errors', (r) => r.errorsTotal, true, false],
];

function fmt(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v) || Math.abs(v) >= 99.5) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

const confab = reports.filter((r) => r.target.startsWith('confab'));
const refs = reports.filter((r) => !r.target.startsWith('confab'));
const pairs = confab.flatMap((c) => refs.map((r) => [c, r]));

const head = ['metric', ...reports.map((r) => r.target), ...pairs.map(([c, r]) => `${c.target} ÷ ${r.target}`)];
const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
for (const [label, get, , ratio] of rows) {
  const values = reports.map((r) => get(r));
  // Rows that say nothing for this scenario (no sends in storm/idle) are left out.
  const always = ['lost deliveries', 'duplicated deliveries', 'errors'].includes(label);
  if (!always && values.every((v) => v === undefined || v === null || v === 0)) continue;
  const ratios = pairs.map(([c, r]) => {
    if (!ratio) return '';
    const a = get(c);
    const b = get(r);
    if (typeof a !== 'number' || typeof b !== 'number' || b === 0) return '–';
    return `${(a / b).toFixed(2)}×`;
  });
  out.push(`| ${[label, ...values.map(fmt), ...ratios].join(' | ')} |`);
}
const p = reports[0].plan;
console.log(
  `scenario **${reports[0].scenario}**: ${p.clients} clients, ${p.rooms} conversations, ${p.senders} senders, ` +
    `${p.closedLoop ? `closed loop (${p.inFlight} in flight each)` : `${p.rate} msgs/s offered`}, ` +
    `${p.warmup}s warm-up + ${p.duration}s measured\n`,
);
console.log(out.join('\n'));
