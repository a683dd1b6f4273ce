// The client's public shapes: options, calls, events, and the socket it drives. (The wire
// types live in ./events.ts.)

import type { ManagerOptions, Socket, SocketOptions } from "socket.io-client";

import type { Clock } from "./clock.js";
import type { ConfabError } from "./errors.js";
import type { Conversation, Message, MessageDeleted, ReadReceipt, UserTyping } from "./events.js";
import type { RestClient, TokenSource } from "./rest.js";

export interface ClientOptions {
  /** The node's base URL, e.g. `https://chat.example.com` (Socket.IO and `/api` live there). */
  url: string;
  /** A fixed JWT. Use `getToken` instead when tokens are refreshed. */
  token?: string;
  /** Called on every (re)connect and REST call, so a refreshed session token is always used. */
  getToken?: TokenSource;
  /** Extra socket.io-client options (`path`, `transports`, reconnection delays...). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /** How long to wait for the server's ack of an event (default 10 s). */
  ackTimeoutMs?: number;
  /** At most one `typing:start` per conversation per this many ms (default 3 s). */
  typingIntervalMs?: number;
  /** Messages per `message:sync` page when filling a gap (default 100, at most 500). */
  syncPageSize?: number;
  /** First retry pause for sends and refused handshakes; doubles up to `retryMaxMs` (1 s, 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** The `fetch` the REST helper uses (default: the global one). */
  fetch?: typeof fetch;
}

export interface SendInput {
  content: string;
  /** Default: `"file"` when `fileIds` are given, else `"text"`. */
  type?: "text" | "file";
  fileIds?: string[];
  /** Made by the client when absent; pass your own to match an optimistic copy to `message`. */
  clientMsgId?: string;
}

export interface JoinResult {
  conversation: Conversation;
  lastSeq: number;
}

export interface PresenceEvent {
  userId: string;
  online: boolean;
}

export interface ClientEvents {
  /** Every message of every joined conversation, exactly once, in `seq` order per conversation. */
  message: (message: Message) => void;
  messageUpdated: (message: Message) => void;
  messageDeleted: (event: MessageDeleted) => void;
  typing: (event: UserTyping) => void;
  presence: (event: PresenceEvent) => void;
  read: (event: ReadReceipt) => void;
  /** Refused handshakes, failed gap fills, lost joins, throwing listeners. */
  error: (error: ConfabError) => void;
}

export type ClientEventName = keyof ClientEvents;

export interface ConfabClient {
  join(conversationId: string): Promise<JoinResult>;
  leave(conversationId: string): Promise<void>;
  send(conversationId: string, input: SendInput): Promise<Message>;
  on<E extends ClientEventName>(event: E, listener: ClientEvents[E]): () => void;
  typing(conversationId: string, isTyping: boolean): void;
  markRead(messageId: string): Promise<ReadReceipt>;
  close(): void;
  readonly connected: boolean;
  /** The REST helper, with the client's URL and token. */
  readonly rest: RestClient;
  /** The underlying socket.io-client Socket. */
  readonly socket: SocketLike;
  /** The socket's Manager (`client.io.engine` is the Engine.IO connection). */
  readonly io: Socket["io"];
}

/** The part of socket.io-client's `Socket` the client uses (a fake stands in for unit tests). */
export interface SocketLike {
  readonly connected: boolean;
  /** False once socket.io-client stopped reconnecting by itself (a refused handshake). */
  readonly active: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- socket.io's listeners take any
  on(event: string, listener: (...args: any[]) => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  timeout(ms: number): { emit(event: string, ...args: unknown[]): unknown };
  connect(): unknown;
  close(): unknown;
}

export interface InternalOptions {
  clock?: Clock;
  random?: () => number;
}

export type HandshakeAuth = (cb: (data: object) => void) => void;
