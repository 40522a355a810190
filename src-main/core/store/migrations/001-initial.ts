// Conversations, their branching messages, the model registry and settings.
import type { Migration } from './types.js';

export const migration001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE conversations (
        seq INTEGER PRIMARY KEY,            -- stable rowid (the search index refers to it)
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        model_id TEXT,                      -- no foreign key: a model may leave the library
        model_name TEXT,
        system_prompt TEXT NOT NULL DEFAULT '',
        sampling TEXT NOT NULL CHECK (json_valid(sampling)),
        current_leaf_id TEXT REFERENCES messages(id) ON DELETE SET NULL
      ) STRICT;
      CREATE INDEX conversations_by_update ON conversations(updated_at);

      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('complete', 'incomplete', 'error')),
        error TEXT,
        tokens INTEGER CHECK (tokens >= 0),
        prompt_tokens INTEGER CHECK (prompt_tokens >= 0),
        tok_s REAL,
        ttft_ms REAL,
        codec TEXT,
        model TEXT,
        stop_reason TEXT CHECK (stop_reason IN ('eos', 'length', 'stopped', 'context', 'error')),
        context TEXT CHECK (context IS NULL OR json_valid(context)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX messages_by_conversation ON messages(conversation_id, created_at);
      CREATE INDEX messages_by_parent ON messages(parent_id);

      -- A message and its parent belong to the same conversation.
      CREATE TRIGGER messages_parent_same_conversation
      BEFORE INSERT ON messages
      WHEN EXISTS (SELECT 1 FROM messages WHERE id = NEW.parent_id AND conversation_id IS NOT NEW.conversation_id)
      BEGIN
        SELECT RAISE(ABORT, 'parent message belongs to another conversation');
      END;

      -- The selected leaf belongs to the conversation.
      CREATE TRIGGER conversations_leaf_same_conversation
      BEFORE UPDATE OF current_leaf_id ON conversations
      WHEN EXISTS (SELECT 1 FROM messages WHERE id = NEW.current_leaf_id AND conversation_id IS NOT NEW.id)
      BEGIN
        SELECT RAISE(ABORT, 'selected message belongs to another conversation');
      END;

      CREATE TABLE models (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        codec TEXT NOT NULL,
        architecture TEXT NOT NULL,
        params INTEGER NOT NULL,
        file_bytes INTEGER NOT NULL,
        context_length INTEGER,
        bits_per_weight REAL,
        snr_db REAL,
        source_name TEXT,
        source_bytes INTEGER,
        builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
        added_at INTEGER NOT NULL,
        last_used_at INTEGER
      ) STRICT;

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL CHECK (json_valid(value))
      ) STRICT, WITHOUT ROWID;
    `);
  },
};
