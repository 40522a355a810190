// Assistant text as Markdown (GitHub flavour) with highlighted code blocks, each with a copy button.
// Memoized on the text: a finished message never re-renders.
import { Check, Copy } from 'lucide-react';
import { memo, useRef, useState } from 'react';
import ReactMarkdown, { type Components, type ExtraProps } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { splitBlocks } from '../../lib/blocks';
import { rehypeCodeHighlight } from '../../lib/highlight';
import { copyText } from '../../lib/download';

const remarkPlugins = [remarkGfm];
// Only fenced blocks that name their language are highlighted: guessing costs too much per frame.
const rehypePlugins = [rehypeCodeHighlight];

function languageOf(node: ExtraProps['node']): string | null {
  const code = node?.children.find((c) => c.type === 'element' && c.tagName === 'code');
  const classes = code && code.type === 'element' ? code.properties.className : undefined;
  const list: string[] = Array.isArray(classes) ? classes.map(String) : typeof classes === 'string' ? String(classes).split(' ') : [];
  const lang = list.find((c) => c.startsWith('language-'));
  return lang ? lang.slice('language-'.length) : null;
}

function CodeBlock({ node, children, ...props }: React.JSX.IntrinsicElements['pre'] & ExtraProps) {
  const pre = useRef<HTMLPreElement>(null);
  const [copied, setCopied] = useState(false);
  const lang = languageOf(node);
  return (
    <div className="code-block not-prose my-3 overflow-hidden rounded-lg border border-zinc-200 bg-zinc-50 dark:border-zinc-800 dark:bg-zinc-900">
      <div className="flex items-center justify-between border-b border-zinc-200 py-1 pr-1 pl-3 text-xs text-zinc-600 dark:border-zinc-800 dark:text-zinc-400">
        <span className="font-mono">{lang ?? 'text'}</span>
        <button
          type="button"
          aria-label="Copy code"
          title="Copy code"
          onClick={async () => {
            if (await copyText(pre.current?.textContent ?? '')) {
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            }
          }}
          className="inline-flex items-center gap-1 rounded-md px-2 py-1 hover:bg-zinc-200 hover:text-zinc-900 dark:hover:bg-zinc-800 dark:hover:text-zinc-100"
        >
          {copied ? <Check size={13} aria-hidden /> : <Copy size={13} aria-hidden />}
          <span>{copied ? 'Copied' : 'Copy'}</span>
        </button>
      </div>
      <pre ref={pre} {...props} className="overflow-x-auto p-3 font-mono text-[13px] leading-relaxed">
        {children}
      </pre>
    </div>
  );
}

const components: Components = {
  pre: CodeBlock,
  a: ({ node: _node, children, href, ...props }) => (
    <a {...props} href={href} target="_blank" rel="noreferrer noopener">
      {children}
    </a>
  ),
  // Remote images are blocked by the content security policy: show the description instead.
  img: ({ alt }) => <span className="text-zinc-500 italic dark:text-zinc-400">[image{alt ? `: ${alt}` : ''}]</span>,
  table: ({ node: _node, ...props }) => (
    <div className="my-3 overflow-x-auto">
      <table {...props} />
    </div>
  ),
};

/** One block, parsed once: finished blocks keep their string, so memo skips them. */
const Block = memo(function Block({ text }: { text: string }) {
  return (
    <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
      {text}
    </ReactMarkdown>
  );
});

/**
 * A message as Markdown. It is rendered block by block (see splitBlocks): while a reply streams
 * only its last block is parsed again on each frame, whatever the length of the reply.
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const blocks = splitBlocks(text);
  return (
    <div className="markdown">
      {blocks.map((b, i) => (b.trim() ? <Block key={i} text={b} /> : null))}
    </div>
  );
});
