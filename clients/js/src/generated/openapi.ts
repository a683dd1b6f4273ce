// Generated from confab's /api/openapi.json by scripts/generate-openapi.mjs
// (`npm run generate:openapi`). Do not edit: regenerate after changing a route.

export interface paths {
    "/admin/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every admin action (projects, participants, conversation changes, moderation deletes,
         *     report updates, exports), newest first. Pages with `nextCursor`.
         */
        get: operations["audit_log"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Lists every conversation matching the filters (they combine), newest created first, with
         *     participants, counts and last activity. Pages with `nextCursor`.
         */
        get: operations["admin_list_conversations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/conversations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One conversation with participants, counts, last activity and its last message (deleted
         *     content included).
         */
        get: operations["conversation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Changes a conversation's status (`active`, `archived`, `locked`) and/or title. */
        patch: operations["update_conversation"];
        trace?: never;
    };
    "/admin/conversations/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Streams the whole conversation as a file: JSON `{ conversation, participants, messages }`
         *     or CSV (a header row, then one row per message), messages in `seq` order with sender,
         *     moderation record, edit history, files and reactions.
         */
        get: operations["export_conversation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/conversations/{id}/participants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Adds a participant (or re-activates a former one), making them a member of the
         *     conversation's project if they are not one.
         */
        post: operations["add_participant"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/conversations/{id}/participants/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Removes a participant; their sockets leave the conversation's room at once. */
        delete: operations["remove_participant"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/conversations/analytics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Messages, mean response time, active conversations and messages per UTC day over a window
         *     (default: the last 30 days). Exact at any moment; on PostgreSQL served mostly from a
         *     periodically refreshed materialized view plus a direct count of what is newer.
         */
        get: operations["analytics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/messages/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Moderation: soft-deletes any message (who, when and why are recorded) and broadcasts
         *     `message:deleted`.
         */
        delete: operations["admin_delete_message"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Lists projects. */
        get: operations["list_projects"];
        put?: never;
        /** Creates a project; `memberIds` become its members (role `member`). */
        post: operations["create_project"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/projects/{id}/members": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The project's members (`owner` or `member`), earliest added first. */
        get: operations["list_members"];
        put?: never;
        /**
         * Makes users members of the project and answers with all its members. Idempotent; ids
         *     confab has not seen yet get a user row. With `role`, every listed user gets it; without,
         *     new members get `member` and existing ones keep theirs.
         */
        post: operations["add_members"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/projects/{id}/members/{userId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Ends a membership. The user also leaves every conversation of the project; their sockets
         *     leave those rooms at once, on every node.
         */
        delete: operations["remove_member"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/reports": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Lists reports, newest first. */
        get: operations["list_reports"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/reports/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /** Moves a report along `pending -> reviewed -> resolved`. */
        patch: operations["update_report"];
        trace?: never;
    };
    "/conversations/{id}/files": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Uploads a file into a conversation (participants and admins, while it is open). The
         *     multipart field `file` holds it: at most `CONFAB_LIMITS__MAX_FILE_BYTES` (10 MiB by
         *     default; exactly the limit is accepted), one of the allowed types as detected from the
         *     content (images, PDF, UTF-8 text, Office documents by default). The upload stays
         *     unattached until a message lists it in `fileIds`; unattached uploads are deleted after
         *     a while.
         */
        post: operations["upload_file"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{id}/messages": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A page of history, newest first. */
        get: operations["list_messages"];
        put?: never;
        /**
         * Sends a message (the same use case as the `message:send` event): stored with the next
         *     `seq`, then broadcast as `message:new`. A retry with the same `clientMsgId` answers 200
         *     with the stored message.
         */
        post: operations["send_message"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{id}/participants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The conversation's active participants. */
        get: operations["list_participants"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{id}/read": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Marks a message (and everything before it) read; participants get `message:read:update`.
         *     Counts against `READS_PER_MINUTE` (shared with the `message:read` event).
         */
        post: operations["mark_read"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/conversations/{id}/search": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Full-text search in one conversation, best match first. Each hit's `highlight` is the
         *     message content HTML-escaped, with `<mark>`...`</mark>` around the matches and no other
         *     markup: safe to insert as HTML.
         */
        get: operations["search"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/files/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Downloads a file: active participants of its conversation and admins; an upload not
         *     yet sent only by its uploader. Served as an attachment with the type detected on upload
         *     and `X-Content-Type-Options: nosniff`; with presigned downloads on (S3), a 302 to a
         *     short-lived URL instead.
         */
        get: operations["download_file"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/messages/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Soft-deletes the caller's own message; its content is hidden from others afterwards.
         *     Counts against `EDITS_PER_MINUTE`.
         */
        delete: operations["messages_delete_message"];
        options?: never;
        head?: never;
        /**
         * Edits the caller's own message; the previous content is kept in the edit history.
         *     Counts against `EDITS_PER_MINUTE` (429 with `Retry-After` beyond it).
         */
        patch: operations["edit_message"];
        trace?: never;
    };
    "/messages/{id}/reactions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Adds the caller's reaction. A message carries at most `MAX_REACTIONS_PER_MESSAGE` (50)
         *     distinct emoji: one more is 409 `too_many_reactions`. Counts against
         *     `REACTIONS_PER_MINUTE`.
         */
        post: operations["add_reaction"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/messages/{id}/reactions/{emoji}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Removes the caller's reaction. Counts against `REACTIONS_PER_MINUTE`. */
        delete: operations["remove_reaction"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/messages/{id}/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Reports a message to the moderators. Counts against `REPORTS_PER_HOUR`. */
        post: operations["report_message"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/projects": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The projects the caller is a member of (every project for admins), newest first. */
        get: operations["my_projects"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/projects/{projectId}/conversations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The project's conversations the caller takes part in (all of them for admins). Only
         *     project members and admins may list them.
         */
        get: operations["conversations_list_conversations"];
        put?: never;
        /**
         * Creates a conversation with the caller as owner and `participantIds` as participants.
         *     The caller and every listed user must be project members (403 `not_a_project_member`);
         *     a conversation an admin creates makes its participants members instead. Members create
         *     at most `CONVERSATIONS_PER_HOUR` (30) conversations an hour.
         */
        post: operations["create_conversation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Body of `POST /admin/projects/:id/members`. */
        AddMembersInput: {
            /** @description `member` or `owner`. Absent: new members get `member`, existing ones keep their role. */
            role?: string | null;
            /** @description The users to add: 1 to 1,000 UUIDs; unknown ids get a user row. */
            userIds: string[];
        };
        /** @description Body of `POST /admin/conversations/:id/participants`. */
        AddParticipantInput: {
            /** @description `member` (default), `admin` or `owner`. */
            role?: string | null;
            /** @description The user to add (a UUID; a user not seen yet gets a placeholder row). */
            userId: string;
        };
        /** @description `{ "conversation": {...} }` with details and the last message. */
        AdminConversationBody: {
            /** @description The conversation with its participants, counts and last message. */
            conversation: components["schemas"]["ConversationDetail"];
        };
        /** @description One audit log row. */
        AuditEntry: {
            /**
             * @description `project.create`, `member.add`, `member.remove`, `participant.add`,
             *     `participant.remove`, `conversation.update`, `message.delete`, `report.update`,
             *     `conversation.export`.
             */
            action: string;
            /** @description The admin who acted. */
            actorId: components["schemas"]["UserId"];
            /**
             * Format: date-time
             * @description When the action happened (UTC).
             */
            createdAt: string;
            /** @description The action's particulars (the new status, the removed user, the deletion reason...). */
            details: Record<string, never>;
            /**
             * Format: uuid
             * @description The entry's id.
             */
            id: string;
            /** @description The target's id (a UUID as text). */
            targetId: string;
            /** @description `project`, `conversation`, `message` or `report`. */
            targetType: string;
        };
        /** @description A page of the audit log, newest first. */
        AuditPage: {
            /** @description Newest first. */
            entries: components["schemas"]["AuditEntry"][];
            /** @description Pass as `cursor` for the next (older) page; `null` on the last page. */
            nextCursor?: string | null;
        };
        /** @description A conversation: an ordered log of messages among its participants, inside one project. */
        Conversation: {
            /**
             * Format: date-time
             * @description When it was created (UTC).
             */
            createdAt: string;
            createdBy?: components["schemas"]["UserId"] | null;
            /** @description The conversation's id. */
            id: components["schemas"]["ConversationId"];
            /**
             * Format: int64
             * @description The highest `seq` assigned in this conversation (0 when empty).
             */
            lastSeq: number;
            /** @description The project it belongs to; only the project's members may take part. */
            projectId: components["schemas"]["ProjectId"];
            /** @description Whether it accepts new messages. */
            status: components["schemas"]["ConversationStatus"];
            /** @description Optional title, at most 255 characters. */
            title?: string | null;
            /** @description What it is for (`type` on the wire). */
            type: components["schemas"]["ConversationType"];
            /**
             * Format: date-time
             * @description When it last changed: a message sent, or its title or status updated (UTC).
             */
            updatedAt: string;
        };
        /** @description The analytics endpoint's answer. */
        ConversationAnalytics: {
            /**
             * Format: int64
             * @description Conversations with at least one message in the window.
             */
            activeConversations: number;
            /**
             * Format: double
             * @description Mean seconds from a message to the next message by a different sender in the same
             *     conversation, over pairs whose response is in the window; `null` when there is none.
             */
            avgResponseTime?: number | null;
            /** @description Every UTC day of the window, ascending, zero-filled. */
            messagesByDay: components["schemas"]["DayCount"][];
            /**
             * Format: int64
             * @description Messages sent in the window, soft-deleted ones included.
             */
            totalMessages: number;
        };
        /** @description `{ "conversation": {...} }` */
        ConversationBody: {
            /** @description The conversation created, read or updated. */
            conversation: components["schemas"]["Conversation"];
        };
        /** @description One conversation's details plus its last message (unredacted: admins see deleted content). */
        ConversationDetail: components["schemas"]["ConversationDetails"] & {
            lastMessage?: components["schemas"]["Message"] | null;
        };
        /** @description A conversation with what an admin needs to see at a glance. */
        ConversationDetails: components["schemas"]["Conversation"] & {
            /**
             * Format: date-time
             * @description When the newest message was sent; `null` in an empty conversation.
             */
            lastMessageAt?: string | null;
            /**
             * Format: int64
             * @description Every message ever sent here, soft-deleted ones included (they keep their `seq`).
             */
            messageCount: number;
            /**
             * Format: int64
             * @description How many active participants there are.
             */
            participantCount: number;
            /** @description Active participants, earliest joined first. */
            participants: components["schemas"]["ParticipantDetails"][];
        };
        /**
         * Format: uuid
         * @description A conversation inside a project.
         */
        ConversationId: string;
        /** @description `{ "conversations": [...] }` */
        ConversationList: {
            /** @description Summaries of the listed conversations. */
            conversations: components["schemas"]["ConversationSummary"][];
        };
        /** @description A page of the admin listing. */
        ConversationPage: {
            /** @description Newest first (by creation, then id). */
            conversations: components["schemas"]["ConversationDetails"][];
            /** @description Pass as `cursor` for the next page; `null` on the last page. */
            nextCursor?: string | null;
        };
        /**
         * @description `locked` and `archived` conversations accept no new messages.
         * @enum {string}
         */
        ConversationStatus: "active" | "archived" | "locked";
        /** @description A conversation as its participants list it. */
        ConversationSummary: components["schemas"]["Conversation"] & {
            lastMessage?: components["schemas"]["Message"] | null;
            /**
             * Format: int64
             * @description Number of active participants.
             */
            participants: number;
            /**
             * Format: int64
             * @description Messages from others, newer than the caller's last read one, not deleted.
             */
            unreadCount: number;
        };
        /**
         * @description What a conversation is for. In `announcement` conversations only owners, conversation
         *     admins and app admins post.
         * @enum {string}
         */
        ConversationType: "project" | "support" | "announcement";
        /** @description Body of `POST /projects/:projectId/conversations`. */
        CreateConversationInput: {
            /** @description Other participants; each must be a member of the project (admins: each becomes one). */
            participantIds?: string[];
            /** @description Optional title, at most 255 characters; blank means none. */
            title?: string | null;
            /** @description `project` (default), `support` or `announcement`. */
            type?: string | null;
        };
        /** @description Body of `POST /admin/projects`. */
        CreateProjectInput: {
            /** @description Users who become members (role `member`); unknown ids get a user row. */
            memberIds?: string[];
            /** @description The project's name, 1 to 255 characters, not blank. */
            name: string;
        };
        /** @description `{ "date": "YYYY-MM-DD", "count": n }` */
        DayCount: {
            /**
             * Format: int64
             * @description Messages sent that day, deleted ones included.
             */
            count: number;
            /**
             * Format: date
             * @description The UTC day.
             */
            date: string;
        };
        /** @description Body of `PATCH /messages/:id`. */
        EditMessageInput: {
            /** @description The new text, under the same rules as a send's. */
            content: string;
        };
        /** @description The JSON body of every failure: `{ "error": { "code", "message", "details"? } }`. */
        ErrorBody: {
            /** @description What went wrong. */
            error: components["schemas"]["ErrorDetail"];
        };
        /** @description The inside of an [`ErrorBody`]. */
        ErrorDetail: {
            /**
             * @description snake_case, stable: `validation_failed`, `unauthorized`, `forbidden`,
             *     `not_a_project_member`, `not_found`, `conflict`, `too_many_reactions`,
             *     `rate_limited`, `overloaded`, `payload_too_large`, `unsupported_media_type`,
             *     `messaging_disabled`, `service_unavailable`, `internal_error`, ...
             */
            code: string;
            /**
             * @description Validation failures: the problems by field path; REST rate limits and `overloaded`:
             *     `retryAfterMs`.
             */
            details?: Record<string, never> | null;
            /** @description Human-readable, in English; never a stack trace or SQL. Not for matching: use `code`. */
            message: string;
        };
        /** @description A file attached to a message, as clients download it. */
        FileAttachment: {
            /** @description The name it was uploaded with, reduced to its last path component. */
            fileName: string;
            /**
             * Format: int64
             * @description Size in bytes.
             */
            fileSize: number;
            /** @description Its MIME type, checked against the allowed list at upload. */
            fileType: string;
            /** @description Where to download it: confab's own authorised route, or a short-lived presigned URL. */
            fileUrl: string;
            /** @description The uploaded file's id. */
            id: components["schemas"]["FileId"];
        };
        /**
         * Format: uuid
         * @description An uploaded file, attached to at most one message.
         */
        FileId: string;
        /** @description `{ "members": [...] }` */
        MemberList: {
            /** @description The project's members with their roles. */
            members: components["schemas"]["ProjectMember"][];
        };
        /** @description A message as clients see it (`message:new`, REST pages, sync). */
        Message: {
            /** @description The sender's idempotency key: a retried send with the same key returns this message. */
            clientMsgId?: string | null;
            /**
             * @description The text, at most 5,000 characters; empty once deleted (for viewers other than the
             *     sender and admins).
             */
            content: string;
            /** @description The conversation it was sent to. */
            conversationId: components["schemas"]["ConversationId"];
            /**
             * Format: date-time
             * @description When the server stored it (UTC).
             */
            createdAt: string;
            /**
             * Format: date-time
             * @description When it was deleted (by its sender or a moderator); absent while it stands.
             */
            deletedAt?: string | null;
            /**
             * Format: date-time
             * @description When the sender last edited it; absent if never.
             */
            editedAt?: string | null;
            /** @description Attachments, in the order they were given. */
            files: components["schemas"]["FileAttachment"][];
            /** @description The message's id (a UUIDv7, so ids sort by creation time). */
            id: components["schemas"]["MessageId"];
            /** @description Reactions (`{"reactions": {"👍": [userId, ...]}}`) and other annotations. */
            metadata: Record<string, never>;
            /** @description Who sent it. */
            senderId: components["schemas"]["UserId"];
            /**
             * Format: int64
             * @description Position in the conversation: 1, 2, 3... with no gaps.
             */
            seq: number;
            /** @description Text, file or system (`type` on the wire). */
            type: components["schemas"]["MessageKind"];
        };
        /** @description `{ "message": {...} }` */
        MessageBody: {
            /** @description The message sent, edited or deleted. */
            message: components["schemas"]["Message"];
        };
        /**
         * Format: uuid
         * @description A message inside a conversation.
         */
        MessageId: string;
        /**
         * @description The kind of a message.
         * @enum {string}
         */
        MessageKind: "text" | "file" | "system";
        /** @description `{ "messages": [...], "hasMore": bool }`: a page of history. */
        MessagePageBody: {
            /** @description Whether older messages exist before the page. */
            hasMore: boolean;
            /** @description The page, newest first. */
            messages: components["schemas"]["Message"][];
        };
        /** @description A user's place in a conversation; removing it ends their access at once. */
        Participant: {
            /** @description The conversation. */
            conversationId: components["schemas"]["ConversationId"];
            /**
             * Format: date-time
             * @description When they were added (UTC).
             */
            joinedAt: string;
            /**
             * Format: date-time
             * @description When they last marked a message read; `None` if never.
             */
            lastReadAt?: string | null;
            /**
             * Format: int64
             * @description `seq` of the newest message this participant has read.
             */
            lastReadSeq: number;
            /** @description Their role in this conversation. */
            role: components["schemas"]["ParticipantRole"];
            /** @description The participant. */
            userId: components["schemas"]["UserId"];
        };
        /** @description `{ "success": true, "participant": {...} }` */
        ParticipantBody: {
            /** @description The participant added or re-activated. */
            participant: components["schemas"]["Participant"];
            /** @description Always `true`. */
            success: boolean;
        };
        /** @description An active participant with the profile confab knows for them. */
        ParticipantDetails: {
            /** @description From the user's token claims, like `name`. */
            email?: string | null;
            /**
             * Format: date-time
             * @description When they were added (UTC).
             */
            joinedAt: string;
            /** @description From the user's token claims; absent for users confab has not seen sign in. */
            name?: string | null;
            /** @description Their role in the conversation. */
            role: components["schemas"]["ParticipantRole"];
            /** @description The participant. */
            userId: components["schemas"]["UserId"];
        };
        /** @description `{ "participants": [...] }` */
        ParticipantList: {
            /** @description The conversation's participants. */
            participants: components["schemas"]["Participant"][];
        };
        /**
         * @description A participant's role inside one conversation.
         * @enum {string}
         */
        ParticipantRole: "owner" | "admin" | "member";
        /** @description A project: the unit of membership that groups conversations. Admins create them. */
        Project: {
            /**
             * Format: date-time
             * @description When it was created (UTC).
             */
            createdAt: string;
            createdBy?: components["schemas"]["UserId"] | null;
            /** @description The project's id. */
            id: components["schemas"]["ProjectId"];
            /** @description Display name, 1 to 255 characters. */
            name: string;
        };
        /** @description `{ "project": {...} }` */
        ProjectBody: {
            /** @description The project created. */
            project: components["schemas"]["Project"];
        };
        /**
         * Format: uuid
         * @description A project: the tenant that owns conversations.
         */
        ProjectId: string;
        /** @description `{ "projects": [...] }` */
        ProjectList: {
            /** @description The projects the caller may see. */
            projects: components["schemas"]["Project"][];
        };
        /** @description A member of a project. */
        ProjectMember: {
            /**
             * Format: date-time
             * @description When they became a member (UTC).
             */
            addedAt: string;
            /** @description Their role in the project. */
            role: components["schemas"]["ProjectRole"];
            /** @description The member. */
            userId: components["schemas"]["UserId"];
        };
        /**
         * @description A user's role in a project. Both may list the project's conversations (those they
         *     take part in) and create conversations in it.
         * @enum {string}
         */
        ProjectRole: "owner" | "member";
        /** @description Body of `POST /messages/:id/reactions`. */
        ReactionInput: {
            /** @description The emoji: 1 to 16 characters, no white space or control characters. */
            emoji: string;
        };
        /** @description `{ "success": true, "receipt": {...} }` */
        ReadBody: {
            /** @description The caller's read position after the update. */
            receipt: components["schemas"]["ReadReceipt"];
            /** @description Always `true`. */
            success: boolean;
        };
        /** @description Body of `POST /conversations/:id/read` and the payload of `message:read`. */
        ReadInput: {
            /** @description The newest message read (a UUID); the server finds its conversation. */
            messageId: string;
        };
        /** @description The payload of `message:read:update`. */
        ReadReceipt: {
            /** @description The message's conversation. */
            conversationId: components["schemas"]["ConversationId"];
            /** @description The newest message the reader has read. */
            messageId: components["schemas"]["MessageId"];
            /**
             * Format: date-time
             * @description When it was marked read (UTC).
             */
            readAt: string;
            /** @description Who read it. */
            userId: components["schemas"]["UserId"];
        };
        /** @description A participant's report of a message, for moderators to review. */
        Report: {
            /** @description The message's conversation. */
            conversationId: components["schemas"]["ConversationId"];
            /**
             * Format: date-time
             * @description When it was filed (UTC).
             */
            createdAt: string;
            /** @description Optional free text, at most 2,000 characters. */
            description?: string | null;
            /** @description The report's id. */
            id: components["schemas"]["ReportId"];
            /** @description The reported message. */
            messageId: components["schemas"]["MessageId"];
            /** @description Why, in a word or phrase (`spam`, `abuse`...), at most 100 characters. */
            reason: string;
            /** @description Who filed it. */
            reportedBy: components["schemas"]["UserId"];
            /**
             * Format: date-time
             * @description When it was last moved out of `pending`; `None` while pending.
             */
            resolvedAt?: string | null;
            resolvedBy?: components["schemas"]["UserId"] | null;
            /** @description Where it stands in review. */
            status: components["schemas"]["ReportStatus"];
        };
        /** @description `{ "report": {...} }` */
        ReportBody: {
            /** @description The report filed or updated. */
            report: components["schemas"]["Report"];
        };
        /**
         * Format: uuid
         * @description A report filed against a message.
         */
        ReportId: string;
        /** @description Body of `POST /messages/:id/report`. */
        ReportInput: {
            /** @description Optional details, at most 2,000 characters. */
            description?: string | null;
            /** @description Why, 1 to 100 characters, not blank. */
            reason: string;
        };
        /** @description `{ "reports": [...] }` */
        ReportList: {
            /** @description Reports, newest first. */
            reports: components["schemas"]["Report"][];
        };
        /**
         * @description Moderation state of a report: `pending -> reviewed -> resolved`.
         * @enum {string}
         */
        ReportStatus: "pending" | "reviewed" | "resolved";
        /** @description `{ "messages": [...] }`: search results. */
        SearchBody: {
            /** @description Matches, best first, each with its highlighted content. */
            messages: components["schemas"]["SearchHit"][];
        };
        /** @description A search hit: the message plus an excerpt with the matches wrapped in `<mark>`. */
        SearchHit: components["schemas"]["Message"] & {
            /**
             * @description The content HTML-escaped, with `<mark>`...`</mark>` around the matches and no other
             *     markup (PostgreSQL: up to two fragments of it).
             */
            highlight: string;
            /**
             * Format: double
             * @description Relevance: higher is better. Comparable within one result list only (PostgreSQL
             *     `ts_rank`, SQLite's negated bm25).
             */
            rank: number;
        };
        /** @description Body of `POST /conversations/:id/messages` and the payload of `message:send`. */
        SendMessageInput: {
            /** @description A client-chosen key that makes retries idempotent. */
            clientMsgId?: string | null;
            /** @description The text: 1 to 5,000 characters, not only white space. */
            content: string;
            /** @description Uploads to attach (type `file` only): the sender's own, unattached, same conversation. */
            fileIds?: string[];
            /** @description `text` (default) or `file`. */
            type?: string;
        };
        /** @description `{ "success": true }` */
        Success: {
            /** @description Always `true`. */
            success: boolean;
        };
        /** @description Body of `PATCH /admin/conversations/:id`: at least one field. */
        UpdateConversationInput: {
            /** @description The new status: `active`, `archived` or `locked`. */
            status?: string | null;
            /** @description The new title, at most 255 characters; an empty one clears it. */
            title?: string | null;
        };
        /** @description Body of `PATCH /admin/reports/:id`. */
        UpdateReportInput: {
            /** @description `pending`, `reviewed` or `resolved`. */
            status: string;
        };
        /** @description The stored upload: attach it with `fileIds` in a `type: "file"` message. */
        UploadedFile: {
            /**
             * Format: uuid
             * @description The file's id, to put in a message's `fileIds`.
             */
            fileId: string;
            /** @description The name as uploaded, sanitised. */
            fileName: string;
            /**
             * Format: int64
             * @description Size in bytes.
             */
            fileSize: number;
            /** @description The MIME type detected from the content. */
            fileType: string;
            /** @description `/api/files/<fileId>`. */
            fileUrl: string;
        };
        /** @description The multipart form of an upload. */
        UploadForm: {
            /**
             * Format: binary
             * @description The file (one). Its type is decided by its content, not its name.
             */
            file: string;
        };
        /**
         * Format: uuid
         * @description A user, as named by the `sub` claim of their token.
         */
        UserId: string;
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    audit_log: {
        parameters: {
            query?: {
                /** @description `nextCursor` of the previous page. */
                cursor?: string;
                /** @description 1..=100, default 50. */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    admin_list_conversations: {
        parameters: {
            query?: {
                /** @description `nextCursor` of the previous page. */
                cursor?: string;
                /** @description 1..=100, default 50. */
                limit?: number;
                /** @description Only this project's conversations. */
                projectId?: string;
                /** @description `active`, `archived` or `locked`. */
                status?: string;
                /** @description Only conversations this user actively takes part in. */
                userId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationPage"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    conversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AdminConversationBody"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_conversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateConversationInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description forbidden (or a more precise code): the caller's role or participation does not allow it */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    export_conversation: {
        parameters: {
            query?: {
                /** @description `json` (default) or `csv`. */
                format?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The export, as an attachment */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": Record<string, never>;
                    "text/csv": string;
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    add_participant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddParticipantInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ParticipantBody"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    remove_participant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Success"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    analytics: {
        parameters: {
            query?: {
                /**
                 * @description `YYYY-MM-DD` (from the start of that UTC day) or an RFC 3339 time (inclusive).
                 *     Default: 29 days before the last day of the window.
                 */
                from?: string;
                /** @description Only this project's conversations; all projects when absent. */
                projectId?: string;
                /**
                 * @description `YYYY-MM-DD` (to the end of that UTC day, so the day is included) or an RFC 3339
                 *     time (exclusive). Default: the end of today (UTC).
                 */
                to?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationAnalytics"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown project */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    admin_delete_message: {
        parameters: {
            query?: {
                /** @description Why the message was removed (kept in the moderation record). */
                reason?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Success"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_projects: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectList"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_project: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateProjectInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectBody"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_members: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberList"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    add_members: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddMembersInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MemberList"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    remove_member: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                userId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Success"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_reports: {
        parameters: {
            query?: {
                /** @description `pending`, `reviewed` or `resolved`; all when absent. */
                status?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReportList"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description forbidden (or a more precise code): the caller's role or participation does not allow it */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    update_report: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateReportInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReportBody"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description forbidden (or a more precise code): the caller's role or participation does not allow it */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    upload_file: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": components["schemas"]["UploadForm"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UploadedFile"];
                };
            };
            /** @description no `file` field, an empty file or a malformed body */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description over the size limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a type not allowed */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_messages: {
        parameters: {
            query?: {
                /** @description A message id: return messages older than it. */
                before?: string;
                /** @description 1..=100, default 50. */
                limit?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessagePageBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    send_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SendMessageInput"];
            };
        };
        responses: {
            /** @description idempotent retry */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageBody"];
                };
            };
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description overloaded: the send could not be stored within the node's budget (`details.retryAfterMs`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_participants: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ParticipantList"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    mark_read: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReadInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReadBody"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (`READS_PER_MINUTE`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    search: {
        parameters: {
            query?: {
                /** @description Words to find (stemmed: `run` finds `running`); web-search syntax on PostgreSQL. */
                q?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SearchBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description forbidden (or a more precise code): the caller's role or participation does not allow it */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    download_file: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the file's bytes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/octet-stream": number[];
                };
            };
            /** @description redirect to a presigned URL (S3 with presigned downloads) */
            302: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    messages_delete_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Success"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (edits and deletes: `EDITS_PER_MINUTE`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    edit_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["EditMessageInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageBody"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description conflict: the message was deleted */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (edits and deletes: `EDITS_PER_MINUTE`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    add_reaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReactionInput"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description forbidden (or a more precise code): the caller's role or participation does not allow it */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description too_many_reactions: the message carries the maximum of distinct emoji */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (`REACTIONS_PER_MINUTE`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    remove_reaction: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                emoji: string;
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MessageBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description forbidden (or a more precise code): the caller's role or participation does not allow it */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description conflict: the message was deleted */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (`REACTIONS_PER_MINUTE`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    report_message: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReportInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReportBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_found: it does not exist or the caller may not see it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (`REPORTS_PER_HOUR`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    my_projects: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectList"];
                };
            };
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    conversations_list_conversations: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                projectId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationList"];
                };
            };
            /** @description validation_failed: a malformed id, query or body (at most 20 problems listed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_a_project_member: the caller is not a member of the project */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    create_conversation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                projectId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateConversationInput"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConversationBody"];
                };
            };
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unauthorized: no token, or one that is invalid, expired or not yet valid */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description not_a_project_member: the caller or a listed participant is not a member of the project */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description rate_limited (`CONVERSATIONS_PER_HOUR`) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}
