// The Socket.IO wire types: records, event payloads, acks and the two event maps.
//
// Written by hand for now, mirroring the Rust types (crates/domain/src/model.rs and the
// gateway's payload structs) and docs/events.md. This file is the ONLY place these shapes are
// declared: a file generated from the Rust types is meant to replace it whole, so the rest of
// the package imports every wire type from here and nothing else declares one. Keep it free of
// logic and of imports.

// ---------------------------------------------------------------------------------------
// Records (crates/domain/src/model.rs)

/** RFC 3339 time in UTC, e.g. `2026-11-24T10:00:00.000Z`. */
export type Timestamp = string;

export type MessageType = "text" | "file" | "system";
export type ConversationType = "project" | "support" | "announcement";
export type ConversationStatus = "active" | "archived" | "locked";

export interface FileAttachment {
  id: string;
  fileName: string;
  fileSize: number;
  fileType: string;
  /** Relative to the server (`/api/files/<id>`); download with the REST helper's token. */
  fileUrl: string;
}

export interface Message {
  id: string;
  conversationId: string;
  /** 1, 2, 3... per conversation with no gaps: orders messages and reveals missed ones. */
  seq: number;
  senderId: string;
  /** Empty for a deleted message seen by someone other than its sender. */
  content: string;
  type: MessageType;
  /** `{ reactions: { "👍": [userId, ...] } }` and other annotations. */
  metadata: { reactions?: Record<string, string[]> } & Record<string, unknown>;
  files: FileAttachment[];
  clientMsgId?: string;
  editedAt?: Timestamp;
  deletedAt?: Timestamp;
  createdAt: Timestamp;
}

export interface Conversation {
  id: string;
  projectId: string;
  title: string | null;
  type: ConversationType;
  status: ConversationStatus;
  createdBy: string | null;
  /** The highest `seq` assigned in this conversation (0 when empty). */
  lastSeq: number;
  createdAt: Timestamp;
  updatedAt: Timestamp;
}

/** The payload of `message:read:update` and the `message:read` ack's `receipt`. */
export interface ReadReceipt {
  messageId: string;
  userId: string;
  conversationId: string;
  readAt: Timestamp;
}

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
