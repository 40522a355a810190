// Readable renderings of an export document: Markdown and a single self-contained HTML file.
// Both show each conversation's selected branch (the JSON export carries every branch).
import type { ExportConversation, ExportDocument, ExportMessage, MessageStats, SamplingSettings } from '../../../src-shared/records.js';
import { markdownToHtml } from './markdown-html.js';

export interface ThreadStep {
  message: ExportMessage;
  /** 1-based position among siblings, and how many there are. */
  version: number;
  versions: number;
}

/** The selected root → leaf path of a conversation (the latest leaf when none is selected). */
export function selectedThread(c: ExportConversation): ThreadStep[] {
  if (c.messages.length === 0) return [];
  const byId = new Map(c.messages.map((m) => [m.id, m]));
  const order = new Map(c.messages.map((m, i) => [m.id, i]));
  const siblings = new Map<string, ExportMessage[]>();
  for (const m of c.messages) {
    const key = m.parentId ?? '';
    siblings.set(key, [...(siblings.get(key) ?? []), m]);
  }
  const newer = (a: ExportMessage, b: ExportMessage) =>
    a.createdAt > b.createdAt || (a.createdAt === b.createdAt && (order.get(a.id) ?? 0) > (order.get(b.id) ?? 0));
  let leaf = c.currentLeafId ? byId.get(c.currentLeafId) : undefined;
  if (!leaf) {
    const leaves = c.messages.filter((m) => !siblings.has(m.id));
    leaf = leaves.reduce((a, b) => (newer(b, a) ? b : a));
  }
  const path: ThreadStep[] = [];
  for (let m: ExportMessage | undefined = leaf; m; m = m.parentId ? byId.get(m.parentId) : undefined) {
    const sibs = siblings.get(m.parentId ?? '') ?? [m];
    path.push({ message: m, version: sibs.indexOf(m) + 1, versions: sibs.length });
  }
  return path.reverse();
}

const when = (isoTime: string): string => `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)} UTC`;

export function samplingLine(s: SamplingSettings): string {
  return [
    `temperature ${s.temperature}`,
    `top_p ${s.top_p}`,
    `top_k ${s.top_k}`,
    `min_p ${s.min_p}`,
    `repetition penalty ${s.repetition_penalty}`,
    `max tokens ${s.max_tokens ?? 'unlimited'}`,
    `seed ${s.seed ?? 'random'}`,
    `stop ${s.stop.length > 0 ? s.stop.map((x) => JSON.stringify(x)).join(', ') : 'none'}`,
  ].join(' · ');
}

export function statsLine(stats: MessageStats | null): string {
  if (!stats) return '';
  const parts: string[] = [];
  if (stats.model) parts.push(stats.model);
  if (stats.codec) parts.push(stats.codec);
  parts.push(`${stats.tokens} tokens`);
  if (stats.tok_s !== null) parts.push(`${stats.tok_s.toFixed(1)} tok/s`);
  if (stats.ttft_ms !== null) parts.push(`first token ${Math.round(stats.ttft_ms)} ms`);
  if (stats.stop_reason) parts.push(`stop: ${stats.stop_reason}`);
  if (stats.context && stats.context.droppedMessages > 0) {
    parts.push(stats.context.note ?? `${stats.context.droppedMessages} earlier messages left out`);
  }
  return parts.join(' · ');
}

function statusNote(m: ExportMessage): string {
  if (m.status === 'incomplete') return 'incomplete: generation was interrupted';
  if (m.status === 'error') return `error${m.error ? `: ${m.error}` : ''}`;
  return '';
}

const roleName = (m: ExportMessage): string => (m.role === 'user' ? 'User' : 'Assistant');

// ─── Markdown ──────────────────────────────────────────────────────────────────────────────────

export function toMarkdown(doc: ExportDocument): string {
  return doc.conversations.map(conversationMarkdown).join('\n---\n\n');
}

function conversationMarkdown(c: ExportConversation): string {
  const lines: string[] = [`# ${c.title.replace(/\n/g, ' ') || 'Untitled'}`, ''];
  lines.push(`- Model: ${c.modelName ?? c.modelId ?? 'unknown'}`);
  lines.push(`- Created: ${when(c.createdAt)} · last activity: ${when(c.updatedAt)}`);
  lines.push(`- Sampling: ${samplingLine(c.sampling)}`);
  lines.push(`- Conversation id: \`${c.id}\``, '');
  if (c.systemPrompt) {
    lines.push('## System prompt', '', ...c.systemPrompt.split('\n').map((l) => `> ${l}`), '');
  }
  for (const step of selectedThread(c)) {
    const m = step.message;
    const version = step.versions > 1 ? ` (version ${step.version} of ${step.versions})` : '';
    lines.push(`## ${roleName(m)}${version}`, '', `<sub>${when(m.createdAt)}</sub>`, '');
    lines.push(m.content, '');
    const notes = [statsLine(m.stats), statusNote(m)].filter(Boolean);
    if (notes.length > 0) lines.push(`*${notes.join(' · ')}*`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

// ─── HTML ──────────────────────────────────────────────────────────────────────────────────────

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light dark; --bg: #fafafa; --fg: #1f2328; --muted: #6a737d; --user: #e8f0fe; --bot: #ffffff; --border: #d0d7de; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #8b949e; --user: #1c2a3f; --bot: #161b22; --border: #30363d; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 860px; margin: 0 auto; padding: 32px 20px 64px; }
header.doc { color: var(--muted); font-size: 13px; margin-bottom: 24px; }
nav ol { padding-left: 20px; }
article { margin: 40px 0; }
article h1 { font-size: 24px; margin: 0 0 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 13px; color: var(--muted); margin: 0 0 16px; }
dt { font-weight: 600; }
dd { margin: 0; }
.system { border-left: 3px solid var(--border); padding: 4px 12px; color: var(--muted); white-space: pre-wrap; margin-bottom: 16px; }
.msg { border: 1px solid var(--border); border-radius: 10px; padding: 12px 16px; margin: 12px 0; background: var(--bot); }
.msg.user { background: var(--user); }
.msg .who { font-weight: 600; font-size: 13px; display: flex; gap: 8px; align-items: baseline; }
.msg .who span { font-weight: 400; color: var(--muted); }
.msg .content { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 6px; }
.msg .content.md { white-space: normal; }
.md > :first-child { margin-top: 0; } .md > :last-child { margin-bottom: 0; }
.md pre { background: var(--bg); border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; overflow-x: auto; white-space: pre; }
.md code { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.md :not(pre) > code { background: var(--bg); border-radius: 4px; padding: 1px 4px; }
.md table { border-collapse: collapse; } .md th, .md td { border: 1px solid var(--border); padding: 4px 8px; }
.md blockquote { margin: 0; padding-left: 12px; border-left: 3px solid var(--border); color: var(--muted); }
.msg .stats { font-size: 12px; color: var(--muted); margin-top: 8px; }
.msg.incomplete .stats, .msg.error .stats { color: #b35900; }
`;

export function toHtml(doc: ExportDocument): string {
  const title =
    doc.conversations.length === 1 ? (doc.conversations[0]?.title ?? 'Conversation') : 'QINS Chat conversations';
  const toc =
    doc.conversations.length > 1
      ? `<nav><ol>${doc.conversations
          .map((c) => `<li><a href="#c-${escapeHtml(c.id)}">${escapeHtml(c.title || 'Untitled')}</a></li>`)
          .join('')}</ol></nav>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="QINS Chat">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<header class="doc">Exported from QINS Chat on ${escapeHtml(when(doc.exportedAt))}</header>
${toc}
${doc.conversations.map(conversationHtml).join('\n')}
</main>
</body>
</html>
`;
}

/** Replies are Markdown (rendered, sanitized, as in the chat view); the user's text stays as typed. */
function contentHtml(m: ExportConversation['messages'][number]): string {
  if (m.role === 'assistant') return `<div class="content md">${markdownToHtml(m.content)}</div>`;
  return `<div class="content">${escapeHtml(m.content)}</div>`;
}

function conversationHtml(c: ExportConversation): string {
  const meta = [
    ['Model', c.modelName ?? c.modelId ?? 'unknown'],
    ['Created', when(c.createdAt)],
    ['Last activity', when(c.updatedAt)],
    ['Sampling', samplingLine(c.sampling)],
  ]
    .map(([k, v]) => `<dt>${escapeHtml(k as string)}</dt><dd>${escapeHtml(v as string)}</dd>`)
    .join('');
  const system = c.systemPrompt ? `<div class="system">${escapeHtml(c.systemPrompt)}</div>` : '';
  const messages = selectedThread(c)
    .map((step) => {
      const m = step.message;
      const version = step.versions > 1 ? ` · version ${step.version} of ${step.versions}` : '';
      const notes = [statsLine(m.stats), statusNote(m)].filter(Boolean).join(' · ');
      return `<section class="msg ${m.role} ${m.status}">
<div class="who">${roleName(m)}<span>${escapeHtml(when(m.createdAt))}${version}</span></div>
${contentHtml(m)}${notes ? `\n<div class="stats">${escapeHtml(notes)}</div>` : ''}
</section>`;
    })
    .join('\n');
  return `<article id="c-${escapeHtml(c.id)}">
<h1>${escapeHtml(c.title || 'Untitled')}</h1>
<dl>${meta}</dl>
${system}
${messages}
</article>`;
}
