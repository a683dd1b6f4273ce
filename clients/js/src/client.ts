// `createClient`: one Socket.IO connection to a confab node, with joined conversations that
// survive reconnects (re-joined and gap-filled), sends that are retried without duplicates,
// throttled typing signals and a typed REST helper sharing the same token.

import { io } from "socket.io-client";

import type {
  ClientEventName,
  ClientEvents,
  ClientOptions,
  ConfabClient,
  HandshakeAuth,
  InternalOptions,
  JoinResult,
  SendInput,
  SocketLike,
} from "./api.js";
import { type Clock, type TimerHandle, systemClock } from "./clock.js";
import { ACK_TIMEOUT, CLOSED, ConfabError, DISCONNECTED } from "./errors.js";
import type { Ack, JoinAck, Message, MessageDeleted, ReadAck, ReadReceipt, SendAck, SendPayload, SyncAck, UserTyping } from "./events.js";
import { newClientMsgId } from "./ids.js";
import { Outbox } from "./outbox.js";
import { type RestClient, type TokenSource, createRestClient } from "./rest.js";
import { ConversationStream, asConfabError } from "./stream.js";
import { TypingThrottle } from "./typing.js";

export type * from "./api.js";

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: ConfabError): void;
}

interface Joined {
  id: string;
  stream: ConversationStream;
  /** join() calls waiting for the next acknowledged join. */
  waiters: Deferred<JoinResult>[];
  /** The connection (see `epoch`) this conversation was last joined on. */
  epoch: number;
}

/** Connects to a confab node. */
export function createClient(options: ClientOptions): ConfabClient {
  return createClientWith(options, (auth) =>
    // forceNew: a client owns its connection (socket.io-client would share one per URL).
    io(options.url, { forceNew: true, ...options.socketOptions, auth }) as unknown as SocketLike,
  );
}

/** createClient with the socket made by `makeSocket` (unit tests pass a fake). */
export function createClientWith(
  options: ClientOptions,
  makeSocket: (auth: HandshakeAuth) => SocketLike,
  internal: InternalOptions = {},
): ConfabClient {
  return new Client(options, makeSocket, internal);
}

class Client implements ConfabClient {
  readonly socket: SocketLike;
  readonly rest: RestClient;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly tokenSource: TokenSource | null;
  private readonly ackTimeoutMs: number;
  private readonly pageSize: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly listeners = new Map<ClientEventName, Set<(arg: never) => void>>();
  private readonly joined = new Map<string, Joined>();
  private readonly connectWaiters: Deferred<void>[] = [];
  private readonly outbox: Outbox;
  private readonly typingThrottle: TypingThrottle;
  /** Counts successful connects: rooms belong to one connection. */
  private epoch = 0;
  private closed = false;
  /** Why the client stopped for good without close(): a fixed token the server refused. */
  private fatal: ConfabError | null = null;
  private sessionExpired = false;
  private reconnectTimer: TimerHandle | null = null;
  private reconnectAttempts = 0;

  constructor(options: ClientOptions, makeSocket: (auth: HandshakeAuth) => SocketLike, internal: InternalOptions) {
    if (!options.url) throw new TypeError("createClient: `url` is required");
    if (!options.token && !options.getToken) throw new TypeError("createClient: pass `token` or `getToken`");
    this.clock = internal.clock ?? systemClock;
    this.random = internal.random ?? Math.random;
    this.tokenSource = options.getToken ?? null;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.pageSize = Math.min(500, Math.max(1, options.syncPageSize ?? 100));
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    const token = options.getToken ?? (() => options.token);
    this.rest = createRestClient({ url: options.url, getToken: token, ...(options.fetch ? { fetch: options.fetch } : {}) });
    this.outbox = new Outbox(
      { connected: () => this.socket.connected, send: (payload) => this.sendOnce(payload) },
      this.clock,
      { retryBaseMs: this.retryBaseMs, retryMaxMs: this.retryMaxMs },
    );
    this.typingThrottle = new TypingThrottle(
      this.clock,
      (conversationId, isTyping) => this.socket.emit(isTyping ? "typing:start" : "typing:stop", { conversationId }),
      options.typingIntervalMs ?? 3000,
    );
    this.socket = makeSocket((cb) => this.handshakeAuth(token, cb));
    this.listen();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get io(): ConfabClient["io"] {
    return (this.socket as unknown as { io: ConfabClient["io"] }).io;
  }

  on<E extends ClientEventName>(event: E, listener: ClientEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const fn = listener as (arg: never) => void;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  join(conversationId: string): Promise<JoinResult> {
    if (this.closed) return Promise.reject(this.endError());
    let state = this.joined.get(conversationId);
    if (!state) {
      state = { id: conversationId, stream: this.newStream(conversationId), waiters: [], epoch: -1 };
      this.joined.set(conversationId, state);
    }
    const result = new Promise<JoinResult>((resolve, reject) => state.waiters.push({ resolve, reject }));
    // Disconnected: the connect handler joins every conversation in `joined`.
    if (this.socket.connected) this.rejoin(state);
    return result;
  }

  async leave(conversationId: string): Promise<void> {
    const state = this.joined.get(conversationId);
    if (state) this.forget(state, new ConfabError("left", "left the conversation before the join finished"));
    this.typingThrottle.reset(conversationId);
    if (!this.socket.connected) return; // rooms belong to the connection: nothing to leave
    try {
      await this.request<object>("leave", { conversationId });
    } catch (error) {
      if (!(error instanceof ConfabError && error.isTransport)) throw error;
    }
  }

  send(conversationId: string, input: SendInput): Promise<Message> {
    if (this.closed) return Promise.reject(this.endError());
    const fileIds = input.fileIds ?? [];
    const payload: SendPayload = {
      conversationId,
      content: input.content,
      type: input.type ?? (fileIds.length > 0 ? "file" : "text"),
      clientMsgId: input.clientMsgId ?? newClientMsgId(),
      ...(fileIds.length > 0 ? { fileIds } : {}),
    };
    this.typing(conversationId, false); // a sent message ends the typing signal
    return this.outbox.enqueue(payload);
  }

  typing(conversationId: string, isTyping: boolean): void {
    // The server answers `not_joined` otherwise; typing is ephemeral, so drop it instead.
    if (!this.socket.connected || this.joined.get(conversationId)?.epoch !== this.epoch) return;
    this.typingThrottle.set(conversationId, isTyping);
  }

  async markRead(messageId: string): Promise<ReadReceipt> {
    const ack = await this.call<ReadAck>("message:read", { messageId });
    return ack.receipt;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer !== null) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failAll(this.endError());
    this.socket.close();
  }

  private endError(): ConfabError {
    return this.fatal ?? new ConfabError(CLOSED, "the client is closed");
  }

  // -------------------------------------------------------------------------------------
  // Socket events

  private listen(): void {
    const s = this.socket;
    s.on("connect", () => this.onConnect());
    s.on("disconnect", (reason: string) => this.onDisconnect(reason));
    s.on("connect_error", (error: Error & { data?: { code?: string } }) => this.onConnectError(error));
    s.on("session:expired", () => {
      this.sessionExpired = true;
    });
    s.on("message:new", (m: Message) => this.joined.get(m.conversationId)?.stream.live(m));
    s.on("message:updated", (m: Message) => this.emit("messageUpdated", m));
    s.on("message:deleted", (e: MessageDeleted) => this.emit("messageDeleted", e));
    s.on("user:typing", (e: UserTyping) => this.emit("typing", e));
    s.on("user:online", (e: { userId: string }) => this.emit("presence", { userId: e.userId, online: true }));
    s.on("user:offline", (e: { userId: string }) => this.emit("presence", { userId: e.userId, online: false }));
    s.on("message:read:update", (e: ReadReceipt) => this.emit("read", e));
  }

  private onConnect(): void {
    this.epoch += 1;
    this.reconnectAttempts = 0;
    this.sessionExpired = false;
    this.typingThrottle.reset();
    for (const waiter of this.connectWaiters.splice(0)) waiter.resolve();
    for (const state of this.joined.values()) this.rejoin(state);
    this.outbox.resume();
  }

  private onDisconnect(reason: string): void {
    this.typingThrottle.reset();
    if (this.closed) return;
    // socket.io-client reconnects by itself after transport failures, but not after the server
    // disconnected the socket (session expiry, a node shutting down): reconnect here, at once
    // with a fresh token when the session expired.
    if (reason === "io server disconnect") this.scheduleReconnect(this.sessionExpired ? 0 : undefined);
  }

  private onConnectError(raw: Error & { data?: { code?: string } }): void {
    const code = raw.data?.code ?? raw.message.split(":")[0]?.trim() ?? "connect_failed";
    const error = new ConfabError(/^[a-z_]+$/.test(code) ? code : "connect_failed", raw.message, { cause: raw });
    this.report(error);
    // While the Manager retries by itself (node unreachable), let it; a refused handshake
    // stops socket.io-client, so retry here unless a fixed token was refused (hopeless).
    if (this.closed || this.socket.active) return;
    if (error.code === "unauthorized" && !this.tokenSource) {
      this.fatal = error;
      this.close();
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(delayMs?: number): void {
    if (this.reconnectTimer !== null || this.closed) return;
    const backoff = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** Math.min(this.reconnectAttempts, 16));
    this.reconnectAttempts += 1;
    // Jitter spreads the clients a restarting node disconnected all at once.
    const ms = delayMs ?? backoff * (0.5 + this.random() / 2);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, ms);
  }

  private handshakeAuth(token: TokenSource, cb: (data: object) => void): void {
    Promise.resolve()
      .then(token)
      .then(
        (value) => cb(value ? { token: value } : {}),
        (error: unknown) => {
          this.report(new ConfabError("token_unavailable", `getToken failed: ${asConfabError(error).message}`, { cause: error }));
          cb({});
        },
      );
  }

  // -------------------------------------------------------------------------------------
  // Joined conversations

  private newStream(conversationId: string): ConversationStream {
    return new ConversationStream(
      conversationId,
      {
        deliver: (message) => this.emit("message", message),
        fetchPage: (afterSeq, limit) => this.request<SyncAck>("message:sync", { conversationId, afterSeq, limit }),
        onError: (error) => this.report(error),
      },
      this.clock,
      { pageSize: this.pageSize, stallRetryMs: this.retryBaseMs },
    );
  }

  /** Joins `state` on the current connection and starts its catch-up. */
  private rejoin(state: Joined): void {
    const epoch = this.epoch;
    this.request<JoinAck>("join", { conversationId: state.id }).then(
      (ack) => {
        if (this.joined.get(state.id) !== state) return; // left meanwhile
        state.epoch = epoch;
        state.stream.joined(ack.lastSeq);
        const result = { conversation: ack.conversation, lastSeq: ack.lastSeq };
        for (const waiter of state.waiters.splice(0)) waiter.resolve(result);
      },
      (error: ConfabError) => {
        if (error.isTransport) {
          // Disconnected: the next connect joins again. A slow server: ask again.
          if (error.code === ACK_TIMEOUT && this.socket.connected && this.epoch === epoch) this.rejoin(state);
          return;
        }
        // Refused (no longer a participant, unknown conversation): stop following it.
        const silent = state.waiters.length > 0;
        this.forget(state, error);
        if (!silent) this.report(error);
      },
    );
  }

  private forget(state: Joined, error: ConfabError): void {
    if (this.joined.get(state.id) === state) this.joined.delete(state.id);
    state.stream.close();
    for (const waiter of state.waiters.splice(0)) waiter.reject(error);
  }

  // -------------------------------------------------------------------------------------
  // Requests

  /** One attempt of `message:send`. */
  private async sendOnce(payload: SendPayload): Promise<Message> {
    const ack = await this.request<SendAck>("message:send", payload);
    return ack.message;
  }

  /** Like `request`, but waits for a connection first and resends after a disconnect. */
  private async call<T extends object>(event: string, payload: object): Promise<T> {
    for (;;) {
      await this.whenConnected();
      try {
        return await this.request<T>(event, payload);
      } catch (error) {
        if (!(error instanceof ConfabError && error.code === DISCONNECTED)) throw error;
      }
    }
  }

  /** Emits `event` with an ack; rejects at once when disconnected (no silent buffering). */
  private request<T extends object>(event: string, payload: object): Promise<{ ok: true } & T> {
    if (this.closed) return Promise.reject(this.endError());
    if (!this.socket.connected) return Promise.reject(new ConfabError(DISCONNECTED, `not connected (${event})`));
    return new Promise((resolve, reject) => {
      this.socket.timeout(this.ackTimeoutMs).emit(event, payload, (err: Error | null, res: Ack<T> | undefined) => {
        if (err) {
          const code = this.socket.connected ? ACK_TIMEOUT : DISCONNECTED;
          reject(new ConfabError(code, `${event}: ${err.message}`, { cause: err }));
        } else if (res && "ok" in res && res.ok) {
          resolve(res);
        } else if (res && "error" in res && res.error) {
          reject(ConfabError.fromBody(res.error));
        } else {
          reject(new ConfabError("internal_error", `${event}: malformed ack ${JSON.stringify(res)}`));
        }
      });
    });
  }

  private whenConnected(): Promise<void> {
    if (this.closed) return Promise.reject(this.endError());
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => this.connectWaiters.push({ resolve, reject }));
  }

  /** Rejects everything waiting, for good (the client is closing). */
  private failAll(error: ConfabError): void {
    for (const waiter of this.connectWaiters.splice(0)) waiter.reject(error);
    for (const state of [...this.joined.values()]) this.forget(state, error);
    this.outbox.failAll(error, { close: true });
  }

  // -------------------------------------------------------------------------------------
  // Listeners

  private emit<E extends ClientEventName>(event: E, payload: Parameters<ClientEvents[E]>[0]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (arg: typeof payload) => void)(payload);
      } catch (error) {
        // One broken listener must not stop delivery to the others (or to itself next time).
        if (event !== "error") this.report(new ConfabError("listener_failed", `a "${event}" listener threw`, { cause: error }));
      }
    }
  }

  private report(error: ConfabError): void {
    this.emit("error", error);
  }
}
