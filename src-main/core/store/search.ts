// Full-text search over titles and messages: every matching conversation once, best match first,
// with a highlighted snippet.
import type { StoreContext } from './context.js';
import { type SearchHit, SNIPPET_ELLIPSIS, SNIPPET_MARK_CLOSE, SNIPPET_MARK_OPEN } from '../../../src-shared/records.js';
import { buildSearchQuery, likeSnippet } from './search-query.js';

/** Matching messages considered per search (the best ones by rank). */
const MAX_SEARCH_MATCHES = 20_000;

export interface SearchOptions {
  limit?: number;
}

/**
 * Conversations whose title or one of whose messages contains every term of `query` (case and
 * diacritics folded for terms of three or more characters), best match first, with a snippet.
 */
export function searchConversations(ctx: StoreContext, query: string, options: SearchOptions = {}): SearchHit[] {
  const q = buildSearchQuery(query);
  if (!q) return [];
  const limit = Math.max(1, Math.min(options.limit ?? 50, 1000));
  const likeClauses = q.like.map(() => "AND m.content LIKE ? ESCAPE '\\'").join(' ');
  const titleLike = q.like.map(() => "AND c.title LIKE ? ESCAPE '\\'").join(' ');
  type Hit = SearchHit & { rank: number; seq: number | null };
  const hits = new Map<string, Hit>();

  // Every matching message (ids and rank only); snippets are made for the winners afterwards.
  const messageSql = q.match
    ? `SELECT m.conversation_id AS cid, m.seq AS seq, m.id AS mid, bm25(messages_fts) AS rank
       FROM messages_fts f JOIN messages m ON m.seq = f.rowid
       WHERE messages_fts MATCH ? ${likeClauses} ORDER BY rank LIMIT ${MAX_SEARCH_MATCHES}`
    : `SELECT m.conversation_id AS cid, m.seq AS seq, m.id AS mid, 0 AS rank
       FROM messages m WHERE 1 ${likeClauses} ORDER BY m.created_at DESC LIMIT ${MAX_SEARCH_MATCHES}`;
  const rows = ctx.sql(messageSql).all(...(q.match ? [q.match, ...q.like] : q.like)) as Array<{
    cid: string;
    seq: number;
    mid: string;
    rank: number;
  }>;
  for (const r of rows) {
    const hit = hits.get(r.cid);
    if (hit) hit.matches += 1;
    else {
      hits.set(r.cid, {
        conversationId: r.cid,
        title: '',
        snippet: '',
        messageId: r.mid,
        matches: 1,
        updatedAt: 0,
        rank: r.rank,
        seq: r.seq,
      });
    }
  }

  const titleSql = q.match
    ? `SELECT c.id AS cid, highlight(conversations_fts, 0, ?, ?) AS snip, bm25(conversations_fts) AS rank, c.title AS title
       FROM conversations_fts f JOIN conversations c ON c.seq = f.rowid
       WHERE conversations_fts MATCH ? ${titleLike}`
    : `SELECT c.id AS cid, NULL AS snip, 0 AS rank, c.title AS title FROM conversations c WHERE 1 ${titleLike}`;
  const titleArgs = q.match ? [SNIPPET_MARK_OPEN, SNIPPET_MARK_CLOSE, q.match, ...q.like] : q.like;
  for (const r of ctx.sql(titleSql).all(...titleArgs) as Array<{ cid: string; snip: string | null; rank: number; title: string }>) {
    if (hits.has(r.cid)) continue;
    hits.set(r.cid, {
      conversationId: r.cid,
      title: r.title,
      snippet: r.snip ?? likeSnippet(r.title, q.terms),
      messageId: null,
      matches: 0,
      updatedAt: 0,
      rank: r.rank,
      seq: null,
    });
  }
  if (hits.size === 0) return [];

  const meta = ctx.sql(
    'SELECT id, title, updated_at FROM conversations WHERE id IN (SELECT value FROM json_each(?))',
  ).all(JSON.stringify([...hits.keys()])) as Array<{ id: string; title: string; updated_at: number }>;
  for (const c of meta) {
    const hit = hits.get(c.id) as Hit;
    hit.title = c.title;
    hit.updatedAt = c.updated_at;
  }
  const top = [...hits.values()].sort((a, b) => a.rank - b.rank || b.updatedAt - a.updatedAt).slice(0, limit);
  const ftsSnippet = ctx.sql(
    'SELECT snippet(messages_fts, 0, ?, ?, ?, 24) AS s FROM messages_fts WHERE messages_fts MATCH ? AND rowid = ?',
  );
  const content = ctx.sql('SELECT content FROM messages WHERE seq = ?');
  for (const hit of top) {
    if (hit.seq === null) continue;
    const fts = q.match
      ? (ftsSnippet.get(SNIPPET_MARK_OPEN, SNIPPET_MARK_CLOSE, SNIPPET_ELLIPSIS, q.match, hit.seq) as { s: string } | undefined)
      : undefined;
    hit.snippet =
      fts?.s ?? likeSnippet((content.get(hit.seq) as { content: string } | undefined)?.content ?? '', q.terms);
  }
  return top.map(({ rank: _rank, seq: _seq, ...hit }) => hit);
}
