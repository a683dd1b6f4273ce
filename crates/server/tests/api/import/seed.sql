-- The seed design's tables (DESIGN "2.2 Schema Definitions"), fixed to valid PostgreSQL, as a
-- seed stack's database holds them. What changed from the design's text, and why:
--   1. `INDEX name (cols)` inside CREATE TABLE is MySQL syntax: PostgreSQL rejects it. Each
--      became a CREATE INDEX after its table.
--   2. `projects` and `users` are referenced but never defined: defined here, minimally, as a
--      Supabase app has them (a profile table keyed by the auth user id, `full_name`; a
--      project with `owner_id`). The importer reads whichever name/owner columns exist.
--   3. Two indexes were both called `idx_status` (conversations, message_reports): index
--      names are per schema in PostgreSQL, so the second CREATE INDEX fails. Renamed per table.
--   4. Every foreign key was declared twice, inline with ON DELETE CASCADE and again as a
--      named `CONSTRAINT fk_...` without it (the same constraint name `fk_conversation` in two
--      tables, `fk_message` in three). Valid, but two constraints with different delete rules
--      on one column; kept once, with the inline rule.
-- The design's analytics materialized view (section 6.2) is not part of what is imported.

CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email TEXT UNIQUE,
    full_name TEXT,
    avatar_url TEXT,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE projects (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    owner_id UUID REFERENCES users(id),
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);

CREATE TABLE conversations (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id UUID NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title VARCHAR(255),
    type VARCHAR(50) DEFAULT 'project', -- project, support, announcement
    status VARCHAR(50) DEFAULT 'active', -- active, archived, locked
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    created_by UUID REFERENCES users(id)
);
CREATE INDEX idx_project_id ON conversations (project_id);
CREATE INDEX idx_conversations_status ON conversations (status);

CREATE TABLE messages (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    sender_id UUID NOT NULL REFERENCES users(id),
    content TEXT,
    type VARCHAR(50) DEFAULT 'text', -- text, file, system
    metadata JSONB, -- For reactions, edits, etc.
    edited_at TIMESTAMP WITH TIME ZONE,
    deleted_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX idx_conversation_created ON messages (conversation_id, created_at DESC);
CREATE INDEX idx_sender ON messages (sender_id);

CREATE TABLE message_files (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    file_name VARCHAR(255) NOT NULL,
    file_size INTEGER NOT NULL,
    file_type VARCHAR(100),
    file_url TEXT NOT NULL,
    storage_path TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX idx_message_id ON message_files (message_id);

CREATE TABLE conversation_participants (
    conversation_id UUID NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id),
    role VARCHAR(50) DEFAULT 'member', -- owner, admin, member
    joined_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    left_at TIMESTAMP WITH TIME ZONE,
    notifications_enabled BOOLEAN DEFAULT true,
    last_read_at TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE message_read_receipts (
    message_id UUID NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users(id),
    read_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    PRIMARY KEY (message_id, user_id)
);

CREATE TABLE message_reports (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    message_id UUID NOT NULL REFERENCES messages(id),
    reported_by UUID NOT NULL REFERENCES users(id),
    reason VARCHAR(100) NOT NULL,
    description TEXT,
    status VARCHAR(50) DEFAULT 'pending', -- pending, reviewed, resolved
    resolved_by UUID REFERENCES users(id),
    resolved_at TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW()
);
CREATE INDEX idx_message_reports_status ON message_reports (status);
