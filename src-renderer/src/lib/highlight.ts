// Syntax highlighting of fenced code blocks that name their language, as a rehype plugin.
// rehype-highlight builds a new highlighter (registering ~37 languages) every time its plugin is
// attached, and react-markdown attaches plugins on every render: during streaming that was most
// of the cost of a frame. This plugin shares one highlighter.
import { common, createLowlight } from 'lowlight';

const lowlight = createLowlight(common);

interface HNode {
  type: string;
  tagName?: string;
  value?: string;
  properties?: Record<string, unknown>;
  children?: HNode[];
}

function textOf(node: HNode): string {
  if (node.type === 'text') return node.value ?? '';
  return node.children?.map(textOf).join('') ?? '';
}

function languageOf(node: HNode): string | null {
  const cls = node.properties?.className;
  const list = Array.isArray(cls) ? cls.map(String) : typeof cls === 'string' ? cls.split(' ') : [];
  for (const c of list) {
    if (c === 'no-highlight' || c === 'nohighlight') return null;
    if (c.startsWith('language-')) return c.slice('language-'.length);
    if (c.startsWith('lang-')) return c.slice('lang-'.length);
  }
  return null;
}

function walk(node: HNode, parent: HNode | null): void {
  if (node.type === 'element' && node.tagName === 'code' && parent?.type === 'element' && parent.tagName === 'pre') {
    const lang = languageOf(node);
    if (lang && lowlight.registered(lang)) {
      const tree = lowlight.highlight(lang, textOf(node)) as unknown as HNode;
      const props = (node.properties ??= {});
      const classes = Array.isArray(props.className) ? (props.className as unknown[]).map(String) : [];
      if (!classes.includes('hljs')) props.className = ['hljs', ...classes];
      if (tree.children?.length) node.children = tree.children;
    }
    return;
  }
  for (const child of node.children ?? []) walk(child, node);
}

/** rehype plugin: highlights `pre > code.language-*` with the shared highlighter. */
export function rehypeCodeHighlight() {
  return (tree: unknown) => walk(tree as HNode, null);
}
