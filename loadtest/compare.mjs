#!/usr/bin/env node
// Prints a Markdown table comparing confab-loadgen reports (the JSON files), with ratio
// columns confab ÷ reference for every confab target (name starting with "confab") against
// every other target run at the same offered rate. Reports of the `overload` scenario (or of
// several rates) also get one compact row per run, as the issue's tables have.
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
// VmHWM (the kernel's own peak) when the report has it, else the highest sampled RSS.
const peakKb = (r) => Math.max(r.server?.hwmKb ?? 0, r.server?.rssKbPeak ?? 0);
const refusedByCode = (r) => {
  const by = Object.entries(r.sends.refused ?? {});
  return by.length ? by.map(([code, n]) => `${code} ${n}`).join(', ') : undefined;
};
const aux = (r, name) => r.aux?.find((a) => a.name === name)?.cpuPercent;
// [label, value(report), lower is better?, show in ratio?]
const rows = [
  ['clients joined', (r) => `${r.connect.joined}/${r.connect.attempted}`, null, false],
  ['first connect → last joined s', (r) => (r.scenario === 'join' ? r.connect.joinElapsedSecs : undefined), true, true],
  ['offered msgs/s (asked)', (r) => r.sends.targetRate, null, false],
  ['sent msgs/s', (r) => r.sends.sentPerSec, false, false],
  ['acked sends/s', (r) => r.sends.ackedPerSec, false, true],
  ['ack p50 ms', (r) => r.sends.ackLatencyMs.p50, true, true],
  ['ack p99 ms', (r) => r.sends.ackLatencyMs.p99, true, true],
  ['ack max ms', (r) => r.sends.ackLatencyMs.max, true, false],
  ['refused sends/s', (r) => r.sends.refusedPerSec, null, false],
  ['refused by code', (r) => refusedByCode(r), null, false],
  ['time to refusal p50 ms', (r) => r.sends.refusalLatencyMs?.p50, true, false],
  ['time to refusal p99 ms', (r) => r.sends.refusalLatencyMs?.p99, true, true],
  ['time to refusal max ms', (r) => r.sends.refusalLatencyMs?.max, true, false],
  ['never answered sends', (r) => r.sends.unanswered, true, false],
  ['sender schedule lag p99 ms', (r) => r.sends.scheduleLagMs?.p99, null, false],
  ['sends skipped (sender >1 s late)', (r) => r.sends.skippedLate, null, false],
  ['delivered msgs/s', (r) => r.delivery.perSec, false, true],
  ['delivery p50 ms', (r) => r.delivery.latencyMs.p50, true, true],
  ['delivery p90 ms', (r) => r.delivery.latencyMs.p90, true, false],
  ['delivery p99 ms', (r) => r.delivery.latencyMs.p99, true, true],
  ['delivery p99.9 ms', (r) => r.delivery.latencyMs.p999, true, false],
  ['connects/s', (r) => r.connect.perSec, false, true],
  ['connect p50 ms', (r) => r.connect.latencyMs.p50, true, false],
  ['connect p99 ms', (r) => r.connect.latencyMs.p99, true, true],
  ['join p50 ms', (r) => r.connect.joinLatencyMs?.p50, true, false],
  ['join p99 ms', (r) => r.connect.joinLatencyMs?.p99, true, true],
  ['server CPU, % of one core (measured window)', (r) => r.server?.cpuPercent, true, true],
  ['server CPU peak, % of one core (1 s windows)', (r) => r.server?.cpuPercentPeak, true, false],
  ['server CPU µs per delivery', (r) => r.server?.cpuUsPerDelivery, true, true],
  ['server CPU µs per accepted send', (r) => r.server?.cpuUsPerAcceptedSend, true, false],
  ['server CPU, % of one core (connect phase)', (r) => r.server?.cpuPercentConnect, true, false],
  ['server RSS peak MB', (r) => mb(peakKb(r)), true, true],
  ['server RSS per connection KB', (r) => r.server?.rssPerConnectionKb, true, true],
  ['server peak RSS per joined connection KB', (r) => (r.scenario === 'join' ? r.server?.peakRssPerJoinedKb : undefined), true, true],
  ['loadgen CPU %', (r) => r.loadgen?.cpuPercent, null, false],
  ['loadgen CPU peak %', (r) => r.loadgen?.cpuPercentPeak, null, false],
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

const rateOf = (r) => (r.plan.closedLoop ? 0 : r.plan.rate);
const severalRates = new Set(reports.map(rateOf)).size > 1;
const name = (r) => (severalRates ? `${r.target} @${rateOf(r)}/s` : r.target);
const confab = reports.filter((r) => r.target.startsWith('confab'));
const refs = reports.filter((r) => !r.target.startsWith('confab'));
// confab against a reference at the same offered rate only.
const pairs = confab.flatMap((c) => refs.filter((r) => rateOf(r) === rateOf(c)).map((r) => [c, r]));

const head = ['metric', ...reports.map(name), ...pairs.map(([c, r]) => `${name(c)} ÷ ${r.target}`)];
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
    `${p.closedLoop ? `closed loop (${p.inFlight} in flight each)` : `${severalRates ? [...new Set(reports.map(rateOf))].join(', ') : p.rate} msgs/s offered`}, ` +
    `${p.warmup}s warm-up + ${p.duration}s measured` +
    `${p.transport === 'polling' ? ', sessions opened with long polling then upgraded' : ''}\n`,
);
console.log(out.join('\n'));

// One row per run: the issue's overload table (offered, accepted, latency, refusals, memory).
if (severalRates || reports.some((r) => r.scenario === 'overload')) {
  const cols = [
    ['run', (r) => r.target],
    ['offered/s asked', (r) => r.sends.targetRate],
    ['offered/s achieved', (r) => r.sends.sentPerSec],
    ['accepted/s', (r) => r.sends.ackedPerSec],
    ['ack p50/p99/max ms', (r) => [r.sends.ackLatencyMs.p50, r.sends.ackLatencyMs.p99, r.sends.ackLatencyMs.max].map(fmt).join(' / ')],
    ['refused (by code)', (r) => refusedByCode(r) ?? '0'],
    ['refusal p50/p99/max ms', (r) => (r.sends.refusalLatencyMs?.count ? [r.sends.refusalLatencyMs.p50, r.sends.refusalLatencyMs.p99, r.sends.refusalLatencyMs.max].map(fmt).join(' / ') : '–')],
    ['never answered', (r) => r.sends.unanswered],
    ['lost acked', (r) => r.delivery.lost],
    ['dup', (r) => r.delivery.duplicated],
    ['peak RSS MB', (r) => mb(peakKb(r))],
    ['server CPU mean/peak %', (r) => `${fmt(r.server?.cpuPercent)} / ${fmt(r.server?.cpuPercentPeak)}`],
    ['loadgen CPU %', (r) => r.loadgen?.cpuPercent],
  ];
  const sorted = [...reports].sort((a, b) => rateOf(a) - rateOf(b));
  console.log('');
  console.log(`| ${cols.map(([h]) => h).join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of sorted) console.log(`| ${cols.map(([, get]) => fmt(get(r))).join(' | ')} |`);
}
