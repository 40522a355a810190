// Markdown (GitHub-flavoured, as the chat view renders replies) to sanitized HTML for the HTML
// export: remark → rehype → rehype-sanitize (GitHub's allow-list: no scripts, event handlers,
// styles, iframes or javascript: links; and no images, so that opening the file loads nothing
// from the network) → HTML text. Raw HTML in the Markdown is dropped, not kept.
import rehypeSanitize, { defaultSchema } from 'rehype-sanitize';
import rehypeStringify from 'rehype-stringify';
import remarkGfm from 'remark-gfm';
import remarkParse from 'remark-parse';
import remarkRehype from 'remark-rehype';
import { unified } from 'unified';

const schema = { ...defaultSchema, tagNames: (defaultSchema.tagNames ?? []).filter((t) => t !== 'img') };

const pipeline = unified().use(remarkParse).use(remarkGfm).use(remarkRehype).use(rehypeSanitize, schema).use(rehypeStringify).freeze();

export function markdownToHtml(markdown: string): string {
  return String(pipeline.processSync(markdown));
}
