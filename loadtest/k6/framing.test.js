// Unit tests for the k6 script's Socket.IO framing (node --test loadtest/k6/framing.test.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  socketUrl,
  connectPacket,
  eventPacket,
  parsePacket,
  Session,
  signHs256,
  claims,
  uuidv4,
  clientMsgId,
  sentAt,
  PONG,
} from './framing.js';

test('the websocket URL is the Engine.IO v4 endpoint', () => {
  assert.equal(socketUrl('http://127.0.0.1:3000/'), 'ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket');
});

test('outbound packets use Socket.IO framing, not raw JSON', () => {
  assert.equal(connectPacket({ token: 'abc' }), '40{"token":"abc"}');
  assert.equal(connectPacket(), '40');
  assert.equal(eventPacket('join', { conversationId: 'c' }, 1), '421["join",{"conversationId":"c"}]');
  assert.equal(eventPacket('leave', { conversationId: 'c' }), '42["leave",{"conversationId":"c"}]');
  assert.equal(eventPacket('x', [1, 2]), '42["x",1,2]');
});

test('engine packets are recognised', () => {
  assert.deepEqual(parsePacket('0{"sid":"s","pingInterval":25000}'), {
    type: 'open',
    data: { sid: 's', pingInterval: 25000 },
  });
  assert.equal(parsePacket('2').type, 'ping');
  assert.equal(parsePacket('3').type, 'pong');
  assert.equal(parsePacket('1').type, 'close');
  assert.equal(parsePacket('6').type, 'noop');
  assert.equal(parsePacket('').type, 'invalid');
  assert.equal(parsePacket('x').type, 'invalid');
});

test('socket packets carry names, arguments and ack ids', () => {
  assert.deepEqual(parsePacket('40{"sid":"abc"}'), { type: 'connect', data: { sid: 'abc' } });
  assert.deepEqual(parsePacket('44{"message":"unauthorized: bad token"}'), {
    type: 'connect_error',
    data: { message: 'unauthorized: bad token' },
  });
  assert.deepEqual(parsePacket('42["message:new",{"seq":3}]'), {
    type: 'event',
    name: 'message:new',
    args: [{ seq: 3 }],
    ackId: undefined,
  });
  assert.deepEqual(parsePacket('4212["ping",1]'), { type: 'event', name: 'ping', args: [1], ackId: 12 });
  assert.deepEqual(parsePacket('43123[{"ok":true,"lastSeq":0}]'), {
    type: 'ack',
    id: 123,
    args: [{ ok: true, lastSeq: 0 }],
  });
  assert.deepEqual(parsePacket('42/admin,7["x"]'), { type: 'event', name: 'x', args: [], ackId: 7 });
  assert.equal(parsePacket('41').type, 'disconnect');
  assert.equal(parsePacket('43[{}]').type, 'invalid', 'an ack needs an id');
  assert.equal(parsePacket('42{"not":"an array"}').type, 'invalid');
});

test('a session connects after OPEN, answers pings and resolves acks by id', () => {
  const sent = [];
  const seen = [];
  const s = new Session((t) => sent.push(t), { token: 'T' }, {
    connect: () => seen.push('connect'),
    event: (name, args) => seen.push([name, args[0].seq]),
  });
  s.receive('0{"sid":"x","pingInterval":25000,"pingTimeout":20000}');
  assert.deepEqual(sent, ['40{"token":"T"}']);
  s.receive('40{"sid":"y"}');
  assert.ok(s.connected);
  let acked;
  const id1 = s.emit('join', { conversationId: 'c' }, (r) => (acked = r));
  const id2 = s.emit('message:send', { conversationId: 'c', content: 'hi' }, () => {});
  assert.equal(id1, 1);
  assert.equal(id2, 2);
  assert.equal(sent[1], '421["join",{"conversationId":"c"}]');
  s.receive('2');
  assert.equal(sent.at(-1), PONG);
  s.receive('431[{"ok":true,"lastSeq":4}]');
  assert.deepEqual(acked, { ok: true, lastSeq: 4 });
  assert.equal(s.pending.size, 1, 'only the send is still pending');
  s.receive('431[{"ok":true}]'); // a repeated ack id is ignored
  s.receive('42["message:new",{"seq":5}]');
  assert.deepEqual(seen, ['connect', ['message:new', 5]]);
});

// What page-latency.mjs passes in Node; chat.js passes k6/encoding and k6/crypto.
const node = {
  base64url: (text) => Buffer.from(text, 'utf8').toString('base64url'),
  hmacSha256: (secret, data) => crypto.createHmac('sha256', secret).update(data).digest('base64url'),
};

test('HS256 tokens verify with the same secret', () => {
  const sub = uuidv4();
  const token = signHs256(claims(sub, { admin: true, now: 0, ttlSeconds: 60, name: 'Zoë' }), 'sekret', node);
  const [h, b, sig] = token.split('.');
  assert.equal(sig, node.hmacSha256('sekret', `${h}.${b}`));
  const payload = JSON.parse(Buffer.from(b, 'base64url').toString());
  assert.equal(payload.sub, sub);
  assert.equal(payload.exp, 60);
  assert.equal(payload.user_metadata.name, 'Zoë');
  assert.equal(payload.app_metadata.role, 'admin');
  assert.equal(JSON.parse(Buffer.from(h, 'base64url').toString()).alg, 'HS256');
});

test('the framing module uses no global that k6 lacks (btoa, atob, Buffer, require)', () => {
  const source = readFileSync(new URL('./framing.js', import.meta.url), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  for (const name of ['btoa', 'atob', 'Buffer', 'require', 'process']) {
    assert.doesNotMatch(source, new RegExp(`\\b${name}\\b`), `framing.js uses ${name}`);
  }
});

test('uuids are v4 and client message ids carry their send time', () => {
  assert.match(uuidv4(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(sentAt(clientMsgId(3, 9, 1700000000123)), 1700000000123);
  assert.equal(sentAt('nope'), undefined);
});
