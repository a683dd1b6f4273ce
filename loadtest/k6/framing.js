// Engine.IO v4 / Socket.IO v5 text framing for k6 (or any runtime): pure functions and a
// small session object, no k6 imports, so Node's test runner can check it
// (framing.test.js). The seed's k6 script sent raw JSON over the socket; a Socket.IO server
// needs this framing:
//
//   server: 0{"sid":…,"pingInterval":25000,…}   Engine.IO OPEN
//   client: 40{"token":"…"}                      Socket.IO CONNECT to "/" with auth
//   server: 40{"sid":…}                          connected (44{…} = refused)
//   client: 421["join",{"conversationId":"…"}]   EVENT with ack id 1
//   server: 431[{"ok":true,…}]                   ACK 1
//   server: 2        client: 3                   Engine.IO ping / pong (server pings)
//   server: 42["message:new",{…}]                EVENT without ack

/** The websocket endpoint of a Socket.IO server at `base` (http://host:port). */
export function socketUrl(base) {
  const url = String(base).replace(/\/+$/, '').replace(/^http/, 'ws');
  return `${url}/socket.io/?EIO=4&transport=websocket`;
}

/** Socket.IO CONNECT to the main namespace, with an auth payload. */
export function connectPacket(auth) {
  return auth === undefined ? '40' : `40${JSON.stringify(auth)}`;
}

/** Socket.IO EVENT: `42[<ackId>]["name",...args]`. */
export function eventPacket(name, args, ackId) {
  const list = Array.isArray(args) ? args : [args];
  return `42${ackId === undefined ? '' : ackId}${JSON.stringify([name, ...list])}`;
}

export const PONG = '3';

/**
 * Parses one Engine.IO packet (one websocket text message) into
 * `{ type, ... }` with type one of: open, close, ping, pong, noop, connect, connect_error,
 * disconnect, event ({ name, args, ackId }), ack ({ id, args }), binary, invalid.
 */
export function parsePacket(text) {
  if (typeof text !== 'string' || text.length === 0) return { type: 'invalid', raw: text };
  const engine = text[0];
  const rest = text.slice(1);
  switch (engine) {
    case '0':
      return { type: 'open', data: safeJson(rest) };
    case '1':
      return { type: 'close' };
    case '2':
      return { type: 'ping' };
    case '3':
      return { type: 'pong' };
    case '4':
      return parseSocket(rest);
    case '5':
    case '6':
      return { type: 'noop' };
    default:
      return { type: 'invalid', raw: text };
  }
}

function parseSocket(text) {
  const kind = text[0];
  let rest = text.slice(1);
  if (kind === '5' || kind === '6') return { type: 'binary', raw: text };
  if (rest.startsWith('/')) {
    const comma = rest.indexOf(',');
    rest = comma === -1 ? '' : rest.slice(comma + 1);
  }
  const m = /^\d+/.exec(rest);
  const id = m ? Number(m[0]) : undefined;
  const json = m ? rest.slice(m[0].length) : rest;
  switch (kind) {
    case '0':
      return { type: 'connect', data: safeJson(json) };
    case '1':
      return { type: 'disconnect' };
    case '2': {
      const payload = safeJson(json);
      if (!Array.isArray(payload) || typeof payload[0] !== 'string') return { type: 'invalid', raw: text };
      return { type: 'event', name: payload[0], args: payload.slice(1), ackId: id };
    }
    case '3': {
      const payload = safeJson(json);
      if (id === undefined || !Array.isArray(payload)) return { type: 'invalid', raw: text };
      return { type: 'ack', id, args: payload };
    }
    case '4':
      return { type: 'connect_error', data: safeJson(json) };
    default:
      return { type: 'invalid', raw: text };
  }
}

function safeJson(text) {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * One client's protocol state: answers pings, sends CONNECT after OPEN, numbers acks and
 * calls their callbacks. `send(text)` writes to the websocket; `handlers` receives
 * `connect(data)`, `connectError(data)`, `event(name, args)`, `disconnect()`.
 */
export class Session {
  constructor(send, auth, handlers = {}) {
    this.send = send;
    this.auth = auth;
    this.handlers = handlers;
    this.nextAck = 1;
    this.pending = new Map();
    this.connected = false;
  }

  /** Emits an event; `onAck(...args)` is called when the server acknowledges it. */
  emit(name, data, onAck) {
    let id;
    if (onAck) {
      id = this.nextAck++;
      this.pending.set(id, onAck);
    }
    this.send(eventPacket(name, data, id));
    return id;
  }

  /** Feeds one websocket text message; returns the parsed packet. */
  receive(text) {
    const p = parsePacket(text);
    const h = this.handlers;
    switch (p.type) {
      case 'open':
        this.send(connectPacket(this.auth));
        break;
      case 'ping':
        this.send(PONG);
        break;
      case 'connect':
        this.connected = true;
        h.connect?.(p.data);
        break;
      case 'connect_error':
        h.connectError?.(p.data);
        break;
      case 'disconnect':
      case 'close':
        this.connected = false;
        h.disconnect?.();
        break;
      case 'event':
        h.event?.(p.name, p.args);
        break;
      case 'ack': {
        const cb = this.pending.get(p.id);
        if (cb) {
          this.pending.delete(p.id);
          cb(...p.args);
        }
        break;
      }
      default:
        break;
    }
    return p;
  }
}

/**
 * An HS256 JWT. The runtime supplies the two primitives, because k6 has neither `btoa` nor
 * `Buffer` (and Node's `btoa` once hid exactly that):
 *   `base64url(text)`: unpadded base64url of the UTF-8 bytes of `text`
 *     (k6: `encoding.b64encode(text, 'rawurl')` from `k6/encoding`);
 *   `hmacSha256(secret, data)`: the unpadded base64url HMAC-SHA256
 *     (k6: `hmac('sha256', secret, data, 'base64rawurl')` from `k6/crypto`).
 */
export function signHs256(claims, secret, { base64url, hmacSha256 }) {
  const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = base64url(JSON.stringify(claims));
  return `${head}.${body}.${hmacSha256(secret, `${head}.${body}`)}`;
}

/** Claims in confab's shape: `sub`, `exp`, a name, and the admin role when asked. */
export function claims(sub, { admin = false, ttlSeconds = 3600, name, now = Date.now() } = {}) {
  const c = {
    sub,
    exp: Math.floor(now / 1000) + ttlSeconds,
    user_metadata: { name: name ?? `k6 ${sub.slice(0, 8)}` },
  };
  if (admin) c.app_metadata = { role: 'admin' };
  return c;
}

/** A random (v4) UUID from a `random()` in [0, 1). */
export function uuidv4(random = Math.random) {
  const hex = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(random() * 16));
  hex[12] = 4;
  hex[16] = (hex[16] & 0x3) | 0x8;
  const s = hex.map((h) => h.toString(16)).join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** A `clientMsgId` carrying its send time, and the time read back from it. */
export function clientMsgId(vu, n, sentMs) {
  return `k6-${vu}-${n}-${sentMs}`;
}

export function sentAt(id) {
  const t = Number(String(id).split('-').pop());
  return Number.isFinite(t) ? t : undefined;
}
