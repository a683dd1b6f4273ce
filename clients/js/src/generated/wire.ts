// GENERATED from the Rust types in crates/domain/src/{ids,model}.rs by ts-rs (the test
// `wire_ts` in crates/domain/src/wire_ts.rs). Do not edit: change the Rust types and run
// `CONFAB_WRITE_TS=1 cargo test -p confab-domain wire_ts`; the test fails while this file is stale.

export type UserId = string;

export type ProjectId = string;

export type ConversationId = string;

export type MessageId = string;

export type FileId = string;

export type MessageKind = "text" | "file" | "system";

export type ConversationType = "project" | "support" | "announcement";

export type ConversationStatus = "active" | "archived" | "locked";

export type FileAttachment = { 
/**
 * The uploaded file's id.
 */
id: FileId, 
/**
 * The name it was uploaded with, reduced to its last path component.
 */
fileName: string, 
/**
 * Size in bytes.
 */
fileSize: number, 
/**
 * Its MIME type, checked against the allowed list at upload.
 */
fileType: string, 
/**
 * Where to download it: confab's own authorised route, or a short-lived presigned URL.
 */
fileUrl: string, };

export type Message = { 
/**
 * The message's id (a UUIDv7, so ids sort by creation time).
 */
id: MessageId, 
/**
 * The conversation it was sent to.
 */
conversationId: ConversationId, 
/**
 * Position in the conversation: 1, 2, 3... with no gaps.
 */
seq: number, 
/**
 * Who sent it.
 */
senderId: UserId, 
/**
 * The text, at most 5,000 characters; empty once deleted (for viewers other than the
 * sender and admins).
 */
content: string, 
/**
 * Text, file or system (`type` on the wire).
 */
type: MessageKind, 
/**
 * Reactions (`{"reactions": {"👍": [userId, ...]}}`) and other annotations.
 */
metadata: { reactions?: Record<string, string[]> } & Record<string, unknown>, 
/**
 * Attachments, in the order they were given.
 */
files: Array<FileAttachment>, 
/**
 * The sender's idempotency key: a retried send with the same key returns this message.
 */
clientMsgId?: string, 
/**
 * When the sender last edited it; absent if never.
 */
editedAt?: string, 
/**
 * When it was deleted (by its sender or a moderator); absent while it stands.
 */
deletedAt?: string, 
/**
 * When the server stored it (UTC).
 */
createdAt: string, };

export type Conversation = { 
/**
 * The conversation's id.
 */
id: ConversationId, 
/**
 * The project it belongs to; only the project's members may take part.
 */
projectId: ProjectId, 
/**
 * Optional title, at most 255 characters.
 */
title: string | null, 
/**
 * What it is for (`type` on the wire).
 */
type: ConversationType, 
/**
 * Whether it accepts new messages.
 */
status: ConversationStatus, 
/**
 * Who created it; `None` once that user is gone.
 */
createdBy: UserId | null, 
/**
 * The highest `seq` assigned in this conversation (0 when empty).
 */
lastSeq: number, 
/**
 * When it was created (UTC).
 */
createdAt: string, 
/**
 * When it last changed: a message sent, or its title or status updated (UTC).
 */
updatedAt: string, };

export type ReadReceipt = { 
/**
 * The newest message the reader has read.
 */
messageId: MessageId, 
/**
 * Who read it.
 */
userId: UserId, 
/**
 * The message's conversation.
 */
conversationId: ConversationId, 
/**
 * When it was marked read (UTC).
 */
readAt: string, };
