// The reference: the seed design's stack (Node.js + Socket.IO 4.8 + PostgreSQL, optionally the
// official Redis adapter) doing confab's job for the load scenarios, so one load-generator run
// can measure both side by side. Transport-agnostic: server.js serves it on node:http,
// ../reference-uws/server.js on uWebSockets.js.
//
// Same contract as confab where the load generator touches it:
//   - HS256 JWTs (`sub` UUID, `exp`, admin iff app_metadata.role == "admin"), verified with
//     node:crypto; socket auth from `auth.token`, the Authorization header or `?token=`.
//   - REST: POST /api/admin/projects {name} -> 201 {project};
//           POST /api/projects/:id/conversations {title, type, participantIds} -> 201 {conversation}.
//   - Socket.IO: `join` {conversationId} -> ack {ok, conversation, lastSeq} (participants and
//     admins only); `leave`; `message:send` {conversationId, content, type, clientMsgId?} ->
//     validated, stored (seq from UPDATE conversations SET last_seq = last_seq + 1 … RETURNING,
//     in one transaction with the insert), ack {ok, message}, then `message:new` to the room;
//     a repeated clientMsgId returns the stored message and broadcasts nothing.
//   - Presence: `user:online` / `user:offline` to the user's conversations on first / last socket.
import crypto from 'node:crypto';
import pg from 'pg';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CONTENT = 5000;

const SCHEMA = `
create table if not exists users (
  id uuid primary key, name text, email text, created_at timestamptz not null default now());
create table if not exists projects (
  id uuid primary key, name text not null, created_at timestamptz not null default now());
create table if not exists conversations (
  id uuid primary key, project_id uuid not null references projects(id), title text,
  type text not null default 'project', status text not null default 'active',
  created_by uuid references users(id), last_seq bigint not null default 0,
  created_at timestamptz not null default now(), updated_at timestamptz not null default now());
create table if not exists participants (
  conversation_id uuid not null references conversations(id), user_id uuid not null references users(id),
  role text not null default 'member', joined_at timestamptz not null default now(), left_at timestamptz,
  primary key (conversation_id, user_id));
create index if not exists participants_user on participants(user_id);
create table if not exists messages (
  id uuid primary key, conversation_id uuid not null references conversations(id), seq bigint not null,
  sender_id uuid not null references users(id), content text not null, type text not null default 'text',
  metadata jsonb not null default '{}', client_msg_id text, created_at timestamptz not null default now(),
  unique (conversation_id, seq));
create unique index if not exists messages_client_id on messages(conversation_id, sender_id, client_msg_id)
  where client_msg_id is not null;
`;

export class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

/** Verifies an HS256 JWT; returns its claims or throws HttpError(401). */
export function verifyToken(token, secret) {
  const fail = (why) => new HttpError(401, 'unauthorized', why);
  if (typeof token !== 'string') throw fail('no token');
  const parts = token.split('.');
  if (parts.length !== 3) throw fail('malformed token');
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw fail('malformed token');
  }
  if (header.alg !== 'HS256') throw fail('unsupported algorithm');
  const expected = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw fail('bad signature');
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) throw fail('expired');
  if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) throw fail('sub must be a UUID');
  return claims;
}

/** For tests and tools: signs HS256 claims. */
export function signToken(claims, secret) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(sig)}`;
}

function identity(claims) {
  return {
    id: claims.sub.toLowerCase(),
    name: claims.user_metadata?.name ?? null,
    email: claims.email ?? null,
    isAdmin: claims.app_metadata?.role === 'admin',
  };
}

function bearer(header) {
  if (typeof header !== 'string') return undefined;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  return scheme?.toLowerCase() === 'bearer' ? value : undefined;
}

const conversationJson = (r) => ({
  id: r.id,
  projectId: r.project_id,
  title: r.title,
  type: r.type,
  status: r.status,
  createdBy: r.created_by,
  lastSeq: Number(r.last_seq),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const messageJson = (r) => ({
  id: r.id,
  conversationId: r.conversation_id,
  seq: Number(r.seq),
  senderId: r.sender_id,
  content: r.content,
  type: r.type,
  metadata: r.metadata,
  files: [],
  clientMsgId: r.client_msg_id ?? undefined,
  createdAt: r.created_at.toISOString(),
});

const errorBody = (code, message) => ({ error: { code, message } });

/**
 * Creates the reference: opens the pool, creates the schema, and returns
 * `{ rest(method, path, headers, body) -> {status, json}, attach(io), close() }`.
 */
export async function createReference({ databaseUrl, secret, poolSize = 16 }) {
  if (!secret) throw new Error('JWT_SECRET is required');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  await pool.query(SCHEMA);
  const knownUsers = new Map();

  async function rememberUser(me) {
    const key = `${me.name}\u0000${me.email}`;
    if (knownUsers.get(me.id) === key) return;
    await pool.query(
      `insert into users (id, name, email) values ($1, $2, $3)
       on conflict (id) do update set name = excluded.name, email = excluded.email`,
      [me.id, me.name, me.email],
    );
    knownUsers.set(me.id, key);
  }

  async function authenticate(token) {
    const me = identity(verifyToken(token, secret));
    await rememberUser(me);
    return me;
  }

  // ---- REST -------------------------------------------------------------------------------
  async function createProject(me, body) {
    if (!me.isAdmin) throw new HttpError(403, 'forbidden', 'admins only');
    const name = typeof body?.name === 'string' ? body.name.trim() : '';
    if (!name || name.length > 255) throw new HttpError(400, 'validation_failed', 'name: 1..255 characters');
    const { rows } = await pool.query(
      'insert into projects (id, name) values ($1, $2) returning id, name, created_at',
      [crypto.randomUUID(), name],
    );
    const p = rows[0];
    return { status: 201, json: { project: { id: p.id, name: p.name, createdAt: p.created_at.toISOString() } } };
  }

  async function createConversation(me, projectId, body) {
    if (!UUID.test(projectId)) throw new HttpError(404, 'not_found', 'project not found');
    const ids = Array.isArray(body?.participantIds) ? body.participantIds : [];
    if (ids.length > 1000 || !ids.every((id) => typeof id === 'string' && UUID.test(id))) {
      throw new HttpError(400, 'validation_failed', 'participantIds: up to 1000 UUIDs');
    }
    const type = body?.type ?? 'project';
    if (!['project', 'support', 'announcement'].includes(type)) {
      throw new HttpError(400, 'validation_failed', 'type: project, support or announcement');
    }
    const title = typeof body?.title === 'string' && body.title.trim() ? body.title.trim() : null;
    const members = [...new Set(ids.map((id) => id.toLowerCase()))].filter((id) => id !== me.id);
    const client = await pool.connect();
    try {
      await client.query('begin');
      const project = await client.query('select 1 from projects where id = $1', [projectId]);
      if (project.rowCount === 0) throw new HttpError(404, 'not_found', 'project not found');
      const users = [me.id, ...members];
      await client.query(
        'insert into users (id) select unnest($1::uuid[]) on conflict (id) do nothing',
        [users],
      );
      const { rows } = await client.query(
        `insert into conversations (id, project_id, title, type, created_by)
         values ($1, $2, $3, $4, $5) returning *`,
        [crypto.randomUUID(), projectId, title, type, me.id],
      );
      const conversation = rows[0];
      await client.query(
        `insert into participants (conversation_id, user_id, role)
         select $1, u, case when u = $2 then 'owner' else 'member' end from unnest($3::uuid[]) as u`,
        [conversation.id, me.id, users],
      );
      await client.query('commit');
      return { status: 201, json: { conversation: conversationJson(conversation) } };
    } catch (e) {
      await client.query('rollback').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  /** Routes one REST request. `body` is the raw request text. */
  async function rest(method, path, headers, body) {
    try {
      if (method === 'GET' && path === '/healthz') return { status: 200, json: { status: 'ok' } };
      const me = await authenticate(bearer(headers.authorization));
      let parsed = null;
      if (body) {
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new HttpError(400, 'invalid_json', 'the body is not JSON');
        }
      }
      if (method === 'POST' && path === '/api/admin/projects') return await createProject(me, parsed);
      const m = /^\/api\/projects\/([^/]+)\/conversations$/.exec(path);
      if (method === 'POST' && m) return await createConversation(me, m[1], parsed);
      throw new HttpError(404, 'not_found', 'no such route');
    } catch (e) {
      if (e instanceof HttpError) return { status: e.status, json: errorBody(e.code, e.message) };
      console.error('rest error', e);
      return { status: 500, json: errorBody('internal', 'internal error') };
    }
  }

  // ---- Socket.IO --------------------------------------------------------------------------
  async function access(conversationId, userId) {
    const { rows } = await pool.query(
      `select c.*, (p.user_id is not null) as member
         from conversations c
         left join participants p
           on p.conversation_id = c.id and p.user_id = $2 and p.left_at is null
        where c.id = $1`,
      [conversationId, userId],
    );
    return rows[0];
  }

  async function join(me, data) {
    const id = data?.conversationId;
    if (typeof id !== 'string' || !UUID.test(id)) throw new HttpError(400, 'validation_failed', 'conversationId: must be a UUID');
    const row = await access(id, me.id);
    if (!row) throw new HttpError(404, 'not_found', 'conversation not found');
    if (!row.member && !me.isAdmin) throw new HttpError(403, 'forbidden', 'not a participant');
    return row;
  }

  async function send(me, data) {
    const id = data?.conversationId;
    if (typeof id !== 'string' || !UUID.test(id)) throw new HttpError(400, 'validation_failed', 'conversationId: must be a UUID');
    const content = data?.content;
    if (typeof content !== 'string' || !content.trim() || [...content].length > MAX_CONTENT) {
      throw new HttpError(400, 'validation_failed', `content: 1..${MAX_CONTENT} characters`);
    }
    const type = data?.type ?? 'text';
    if (type !== 'text') throw new HttpError(400, 'validation_failed', 'type: text');
    const clientMsgId = data?.clientMsgId ?? null;
    if (clientMsgId !== null && (typeof clientMsgId !== 'string' || !clientMsgId || clientMsgId.length > 128)) {
      throw new HttpError(400, 'validation_failed', 'clientMsgId: 1..128 characters');
    }
    const row = await access(id, me.id);
    if (!row) throw new HttpError(404, 'not_found', 'conversation not found');
    if (!row.member && !me.isAdmin) throw new HttpError(403, 'forbidden', 'not a participant');
    if (row.status !== 'active') throw new HttpError(403, 'conversation_closed', 'the conversation is closed');
    const client = await pool.connect();
    try {
      await client.query('begin');
      if (clientMsgId !== null) {
        const existing = await client.query(
          'select * from messages where conversation_id = $1 and sender_id = $2 and client_msg_id = $3',
          [id, me.id, clientMsgId],
        );
        if (existing.rowCount > 0) {
          await client.query('commit');
          return { message: messageJson(existing.rows[0]), created: false };
        }
      }
      const seq = await client.query(
        'update conversations set last_seq = last_seq + 1, updated_at = now() where id = $1 returning last_seq',
        [id],
      );
      const { rows } = await client.query(
        `insert into messages (id, conversation_id, seq, sender_id, content, type, client_msg_id)
         values ($1, $2, $3, $4, $5, $6, $7) returning *`,
        [crypto.randomUUID(), id, seq.rows[0].last_seq, me.id, content, type, clientMsgId],
      );
      await client.query('commit');
      return { message: messageJson(rows[0]), created: true };
    } catch (e) {
      await client.query('rollback').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }

  function reply(ack, fn) {
    const answer = typeof ack === 'function' ? ack : () => {};
    fn().then(
      (ok) => answer({ ok: true, ...ok }),
      (e) => {
        if (!(e instanceof HttpError)) console.error('socket error', e);
        const err = e instanceof HttpError ? e : new HttpError(500, 'internal', 'internal error');
        answer(errorBody(err.code, err.message));
      },
    );
  }

  const socketsPerUser = new Map();

  async function announce(io, userId, event) {
    const { rows } = await pool.query(
      'select conversation_id from participants where user_id = $1 and left_at is null',
      [userId],
    );
    for (const r of rows) io.to(`conversation:${r.conversation_id}`).emit(event, { userId });
  }

  function attach(io) {
    io.use((socket, next) => {
      const h = socket.handshake;
      const token = h.auth?.token ?? bearer(h.headers.authorization) ?? h.query?.token;
      authenticate(token).then(
        (me) => {
          socket.data.me = me;
          next();
        },
        (e) => {
          const code = e instanceof HttpError ? e.code : 'internal';
          const err = new Error(`${code}: ${e.message}`);
          err.data = { code };
          next(err);
        },
      );
    });
    io.on('connection', (socket) => {
      const me = socket.data.me;
      socket.join(`user:${me.id}`);
      const n = (socketsPerUser.get(me.id) ?? 0) + 1;
      socketsPerUser.set(me.id, n);
      if (n === 1) announce(io, me.id, 'user:online').catch((e) => console.error('presence', e));
      socket.on('disconnect', () => {
        const left = (socketsPerUser.get(me.id) ?? 1) - 1;
        if (left > 0) {
          socketsPerUser.set(me.id, left);
          return;
        }
        socketsPerUser.delete(me.id);
        announce(io, me.id, 'user:offline').catch((e) => console.error('presence', e));
      });
      socket.on('join', (data, ack) =>
        reply(ack, async () => {
          const row = await join(me, data);
          socket.join(`conversation:${row.id}`);
          return { conversation: conversationJson(row), lastSeq: Number(row.last_seq) };
        }),
      );
      socket.on('leave', (data, ack) =>
        reply(ack, async () => {
          if (typeof data?.conversationId === 'string') socket.leave(`conversation:${data.conversationId}`);
          return {};
        }),
      );
      socket.on('message:send', (data, ack) =>
        reply(ack, async () => {
          const { message, created } = await send(me, data);
          // Ack first (the message is stored), then the broadcast, as confab does.
          if (created) setImmediate(() => io.to(`conversation:${message.conversationId}`).emit('message:new', message));
          return { message };
        }),
      );
    });
  }

  return { rest, attach, close: () => pool.end() };
}

/** Optional Redis adapter (REDIS_URL): the official @socket.io/redis-adapter. */
export async function redisAdapter(url) {
  if (!url) return null;
  const [{ createAdapter }, { createClient }] = await Promise.all([
    import('@socket.io/redis-adapter'),
    import('redis'),
  ]);
  const pub = createClient({ url });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  return createAdapter(pub, sub);
}
