// Artillery processor for chat.yml: mints HS256 tokens (node:crypto, secret from
// CONFAB_JWT_SECRET) and creates, through the REST API, one project per run and one
// conversation per virtual user (the user is its participant), so each virtual user can
// connect with its own token, join and send.
'use strict';
const crypto = require('node:crypto');

const b64url = (x) => Buffer.from(x).toString('base64url');

function sign(claims, secret) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(sig)}`;
}

function token(sub, admin) {
  const secret = process.env.CONFAB_JWT_SECRET;
  if (!secret) throw new Error('set CONFAB_JWT_SECRET to the server secret');
  const claims = {
    sub,
    exp: Math.floor(Date.now() / 1000) + 3600,
    user_metadata: { name: admin ? 'artillery admin' : `artillery ${sub.slice(0, 8)}` },
  };
  if (admin) claims.app_metadata = { role: 'admin' };
  return sign(claims, secret);
}

async function post(target, path, bearer, body) {
  const res = await fetch(new URL(path, target), {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

const adminToken = token(crypto.randomUUID(), true);
let project; // one per run, created by the first virtual user

async function prepare(context) {
  const target = context.vars.target;
  const host = new URL(target).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host) && !host.startsWith('127.')) {
    throw new Error(`refusing non-loopback target ${target}`);
  }
  project ??= post(target, '/api/admin/projects', adminToken, { name: 'artillery chat' });
  const { project: p } = await project;
  const user = crypto.randomUUID();
  const { conversation } = await post(target, `/api/projects/${p.id}/conversations`, adminToken, {
    title: `artillery ${user.slice(0, 8)}`,
    type: 'project',
    participantIds: [user],
  });
  context.vars.token = token(user, false);
  context.vars.conversationId = conversation.id;
  context.vars.userId = user;
}

/** `function: setup` step: fixtures and the token, before the first emit connects. */
function setup(context, events, done) {
  prepare(context).then(
    () => done(),
    (err) => {
      events.emit('error', `setup: ${err.message}`);
      done(err);
    },
  );
}

module.exports = { setup };
