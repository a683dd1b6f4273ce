// k6 chat load test speaking real Socket.IO over k6/ws (the seed's script sent raw JSON, which
// a Socket.IO server ignores). Framing lives in ./framing.js (pure, unit-tested with Node).
//
//   k6 run -e BASE_URL=https://chat.staging.example -e JWT_SECRET=... loadtest/k6/chat.js
//
// Env: BASE_URL (the server or load balancer under test, http(s)://host[:port]), JWT_SECRET
// (the server's HS256 secret), ROOM_SIZE (users per conversation, default 10), MAX_USERS
// (default 100: users prepared in setup, one per VU), SEND_EVERY_MS (default 1000), SESSION_S
// (seconds per connection, default 30), STAGES ("2m:100,5m:100,2m:0", the seed's ramp). The
// server's per-user message limit must allow SEND_EVERY_MS
// (CONFAB_LIMITS__MESSAGES_PER_MINUTE=0 disables it). loadtest/smoke.sh runs it for ~20 s.
//
// The thresholds fail a run that measured nothing: every counter below must be above zero,
// and no send or connection may fail.
import ws from 'k6/ws';
import http from 'k6/http';
import { check } from 'k6';
import { hmac } from 'k6/crypto';
import encoding from 'k6/encoding';
import { Counter, Trend } from 'k6/metrics';
import { Session, socketUrl, signHs256, claims, uuidv4, clientMsgId, sentAt } from './framing.js';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:3000';
const SECRET = __ENV.JWT_SECRET || '';
const ROOM_SIZE = Number(__ENV.ROOM_SIZE || 10);
const MAX_USERS = Number(__ENV.MAX_USERS || 100);
const SEND_EVERY_MS = Number(__ENV.SEND_EVERY_MS || 1000);
const SESSION_S = Number(__ENV.SESSION_S || 30);

function stages(spec) {
  return spec.split(',').map((s) => {
    const [duration, target] = s.split(':');
    return { duration, target: Number(target) };
  });
}

export const options = {
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(95)', 'p(99)'],
  stages: stages(__ENV.STAGES || '2m:100,5m:100,2m:0'),
  // A rate or a percentile over zero samples passes (and k6 offers no count on a Trend), so
  // counters stand beside them: acked sends feed socketio_ack_ms, deliveries
  // socketio_delivery_ms.
  thresholds: {
    checks: ['rate>0.99'],
    socketio_connected: ['count>0'],
    socketio_joined: ['count>0'],
    socketio_messages_acked: ['count>0'],
    socketio_messages_delivered: ['count>0'],
    socketio_errors: ['count==0'],
    socketio_ack_ms: ['p(99)<500'],
    socketio_delivery_ms: ['p(99)<500'],
  },
};

const ackMs = new Trend('socketio_ack_ms', true);
const deliveryMs = new Trend('socketio_delivery_ms', true);
const connected = new Counter('socketio_connected');
const joined = new Counter('socketio_joined');
const acked = new Counter('socketio_messages_acked');
const delivered = new Counter('socketio_messages_delivered');
const failures = new Counter('socketio_errors');

// k6 has no btoa or Buffer: base64url and HMAC come from its own modules.
const runtime = {
  base64url: (text) => encoding.b64encode(text, 'rawurl'),
  hmacSha256: (secret, data) => hmac('sha256', secret, data, 'base64rawurl'),
};
const sign = (sub, admin) => signHs256(claims(sub, { admin }), SECRET, runtime);

function post(path, token, body) {
  const res = http.post(`${BASE_URL}${path}`, JSON.stringify(body), {
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${res.body}`);
  return res.json();
}

// Once per run: a project, users, and conversations of ROOM_SIZE users each.
export function setup() {
  if (!SECRET) throw new Error('set JWT_SECRET to the server secret');
  const admin = sign(uuidv4(), true);
  const { project } = post('/api/admin/projects', admin, { name: 'k6 chat' });
  const users = [];
  for (let start = 0; start < MAX_USERS; start += ROOM_SIZE) {
    const ids = [];
    for (let i = start; i < Math.min(start + ROOM_SIZE, MAX_USERS); i++) ids.push(uuidv4());
    const { conversation } = post(`/api/projects/${project.id}/conversations`, admin, {
      title: `k6 ${start / ROOM_SIZE}`,
      type: 'project',
      participantIds: ids,
    });
    for (const id of ids) users.push({ id, conversationId: conversation.id });
  }
  return { users };
}

export default function (data) {
  const me = data.users[(__VU - 1) % data.users.length];
  const token = sign(me.id, false);
  let sentN = 0;
  const res = ws.connect(socketUrl(BASE_URL), {}, (socket) => {
    const session = new Session((text) => socket.send(text), { token }, {
      connect: () => {
        connected.add(1);
        session.emit('join', { conversationId: me.conversationId }, (ack) => {
          if (!check(ack, { joined: (a) => a && a.ok === true })) {
            failures.add(1);
            return;
          }
          joined.add(1);
          socket.setInterval(() => {
            const sent = Date.now();
            sentN += 1;
            const body = {
              conversationId: me.conversationId,
              content: `k6 message ${sentN} from VU ${__VU}`,
              type: 'text',
              clientMsgId: clientMsgId(__VU, sentN, sent),
            };
            session.emit('message:send', body, (reply) => {
              ackMs.add(Date.now() - sent);
              if (check(reply, { 'send acked ok': (r) => r && r.ok === true && r.message && r.message.seq > 0 })) {
                acked.add(1);
              } else {
                failures.add(1);
              }
            });
          }, SEND_EVERY_MS);
        });
      },
      connectError: (d) => {
        failures.add(1);
        check(d, { 'socket.io connected': () => false });
        socket.close();
      },
      event: (name, args) => {
        if (name !== 'message:new') return;
        const m = args[0];
        check(m, {
          'message:new has content': (x) => x && typeof x.content === 'string',
          'message:new has seq': (x) => x && x.seq > 0,
        });
        delivered.add(1);
        const t = sentAt(m && m.clientMsgId);
        if (t !== undefined && m.clientMsgId.startsWith('k6-')) deliveryMs.add(Date.now() - t);
      },
    });
    socket.on('message', (text) => session.receive(text));
    socket.on('error', () => failures.add(1));
    socket.setTimeout(() => socket.close(), SESSION_S * 1000);
  });
  if (!check(res, { 'status is 101': (r) => r && r.status === 101 })) failures.add(1);
}
