// The Socket.IO wire types: records, event payloads, acks and the two event maps.
//
// The records (Message, Conversation, FileAttachment, ReadReceipt and their enums and ids)
// are GENERATED from the Rust types into ./generated/wire.ts (ts-rs, by a confab-domain test
// that fails when that file is stale), so server and client cannot drift. The payloads and
// acks below are still written by hand from the gateway's structs and docs/events.md. The
// rest of the package imports every wire type from here. Keep it free of logic.

import type { Conversation, Message, MessageKind, ReadReceipt } from "./generated/wire.js";

export type {
  Conversation,
  ConversationId,
  ConversationStatus,
  ConversationType,
  FileAttachment,
  FileId,
  Message,
  MessageId,
  MessageKind,
  ProjectId,
  ReadReceipt,
  UserId,
} from "./generated/wire.js";

/** RFC 3339 time in UTC, e.g. `2026-11-24T10:00:00.000Z`. */
export type Timestamp = string;

/** The kind of a message (the Rust name is `MessageKind`). */
export type MessageType = MessageKind;

// ---------------------------------------------------------------------------------------
// Payloads

export interface ConversationRef {
  conversationId: string;
}

export interface SendPayload {
  conversationId: string;
  content: string;
  type: "text" | "file";
  fileIds?: string[];
  /** Up to 128 characters, unique per sender and conversation: makes the send idempotent. */
  clientMsgId?: string;
}

export interface ReadPayload {
  messageId: string;
}

export interface SyncPayload {
  conversationId: string;
  afterSeq: number;
  /** 1..500, default 100. */
  limit?: number;
}

export interface MessageDeleted {
  messageId: string;
  conversationId: string;
}

export interface UserTyping {
  userId: string;
  conversationId: string;
  isTyping: boolean;
}

export interface UserPresence {
  userId: string;
}

/** `session:expired`: the token's `exp` passed; the server disconnects the socket next. */
export type SessionExpired = Record<string, never>;

// ---------------------------------------------------------------------------------------
// Acks

export interface AckErrorBody {
  code: string;
  message: string;
  /** Rate limits (`rate_limited`). */
  retryAfterMs?: number;
  /** Validation problems; `overloaded` puts its `retryAfterMs` here. */
  details?: Record<string, unknown> & { retryAfterMs?: number };
}

export interface AckError {
  error: AckErrorBody;
}

export type Ack<T = object> = ({ ok: true } & T) | AckError;

export interface JoinAck {
  conversation: Conversation;
  lastSeq: number;
}

export interface SendAck {
  message: Message;
}

export interface ReadAck {
  receipt: ReadReceipt;
}

export interface SyncAck {
  messages: Message[];
  hasMore: boolean;
}

// ---------------------------------------------------------------------------------------
// Event maps (socket.io-client's `Socket<ServerToClientEvents, ClientToServerEvents>`)

export interface ServerToClientEvents {
  "message:new": (message: Message) => void;
  "message:updated": (message: Message) => void;
  "message:deleted": (event: MessageDeleted) => void;
  "user:typing": (event: UserTyping) => void;
  "user:online": (event: UserPresence) => void;
  "user:offline": (event: UserPresence) => void;
  "message:read:update": (event: ReadReceipt) => void;
  "session:expired": (event: SessionExpired) => void;
}

export interface ClientToServerEvents {
  join: (payload: ConversationRef, ack: (res: Ack<JoinAck>) => void) => void;
  leave: (payload: ConversationRef, ack: (res: Ack) => void) => void;
  "message:send": (payload: SendPayload, ack: (res: Ack<SendAck>) => void) => void;
  "typing:start": (payload: ConversationRef) => void;
  "typing:stop": (payload: ConversationRef) => void;
  "message:read": (payload: ReadPayload, ack: (res: Ack<ReadAck>) => void) => void;
  "message:sync": (payload: SyncPayload, ack: (res: Ack<SyncAck>) => void) => void;
}
