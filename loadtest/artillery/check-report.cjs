// Fails (exit 1) unless an Artillery JSON report shows every virtual user completed with no
// errors: node check-report.cjs report.json <expected virtual users>
'use strict';
const fs = require('node:fs');

const [file, expectedArg] = process.argv.slice(2);
const expected = Number(expectedArg);
const counters = JSON.parse(fs.readFileSync(file, 'utf8')).aggregate?.counters ?? {};
const errors = Object.entries(counters).filter(([k, v]) => k.startsWith('errors.') && v > 0);
const completed = counters['vusers.completed'] ?? 0;
const failed = counters['vusers.failed'] ?? 0;
const emits = counters['engine.socketio.emit'] ?? 0;
const problems = [];
if (errors.length) problems.push(`errors: ${errors.map(([k, v]) => `${k}=${v}`).join(', ')}`);
if (failed) problems.push(`${failed} virtual users failed`);
if (completed !== expected) problems.push(`${completed} of ${expected} virtual users completed`);
if (emits === 0) problems.push('nothing was emitted');
if (problems.length) {
  console.error(`artillery: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`artillery: ${completed} virtual users completed, ${emits} acknowledged emits, no errors`);
