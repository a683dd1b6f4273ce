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

export type FileAttachment = { id: FileId, fileName: string, fileSize: number, fileType: string, fileUrl: string, };

export type Message = { id: MessageId, conversationId: ConversationId, 
/**
 * Position in the conversation: 1, 2, 3... with no gaps.
 */
seq: number, senderId: UserId, content: string, type: MessageKind, 
/**
 * Reactions (`{"reactions": {"👍": [userId, ...]}}`) and other annotations.
 */
metadata: { reactions?: Record<string, string[]> } & Record<string, unknown>, files: Array<FileAttachment>, clientMsgId?: string, editedAt?: string, deletedAt?: string, createdAt: string, };

export type Conversation = { id: ConversationId, projectId: ProjectId, title: string | null, type: ConversationType, status: ConversationStatus, createdBy: UserId | null, 
/**
 * The highest `seq` assigned in this conversation (0 when empty).
 */
lastSeq: number, createdAt: string, updatedAt: string, };

export type ReadReceipt = { messageId: MessageId, userId: UserId, conversationId: ConversationId, readAt: string, };
