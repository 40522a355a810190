// Full-text search over message content and conversation titles (FTS5, kept in sync by triggers).
// The trigram tokenizer matches substrings in any script (CJK has no spaces between words) and
// folds case and diacritics; queries shorter than three characters fall back to LIKE in the
// repository. Both tables are external-content indexes: the text lives only in the base tables.
// Deleted documents linger in older index segments until they are merged, so the repository runs
// FTS5 'optimize' after every deletion. (FTS5's own 'secure-delete' option is deliberately not
// used: with SQLite 3.53.2 it corrupts the index when a large document is deleted and re-inserted
// under the same rowid in one transaction, which is exactly what every streamed flush does.)
import type { Migration } from './types.js';

export const migration002: Migration = {
  version: 2,
  name: 'search',
  up(db) {
    db.exec(`
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content = 'messages', content_rowid = 'seq',
        tokenize = 'trigram remove_diacritics 1'
      );
      CREATE VIRTUAL TABLE conversations_fts USING fts5(
        title, content = 'conversations', content_rowid = 'seq',
        tokenize = 'trigram remove_diacritics 1'
      );

      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (NEW.seq, NEW.content);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', OLD.seq, OLD.content);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', OLD.seq, OLD.content);
        INSERT INTO messages_fts(rowid, content) VALUES (NEW.seq, NEW.content);
      END;

      CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts(rowid, title) VALUES (NEW.seq, NEW.title);
      END;
      CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO conversations_fts(conversations_fts, rowid, title) VALUES ('delete', OLD.seq, OLD.title);
      END;
      CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO conversations_fts(conversations_fts, rowid, title) VALUES ('delete', OLD.seq, OLD.title);
        INSERT INTO conversations_fts(rowid, title) VALUES (NEW.seq, NEW.title);
      END;

      -- Index what version 1 already holds.
      INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
      INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild');
    `);
  },
};
