// The branch structure of a conversation's messages: children by parent, the latest leaf below a
// message.
import type { NodeRow } from './rows.js';

/** Children lists keyed by parent id ('' for the roots), each ordered by creation. */
export function childrenOf(nodes: NodeRow[]): Map<string, NodeRow[]> {
  const byParent = new Map<string, NodeRow[]>();
  for (const n of nodes) {
    const key = n.parent_id ?? '';
    const list = byParent.get(key);
    if (list) list.push(n);
    else byParent.set(key, [n]);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.created_at - b.created_at || a.seq - b.seq);
  return byParent;
}

export const later = (a: NodeRow, b: NodeRow): boolean =>
  a.created_at > b.created_at || (a.created_at === b.created_at && a.seq > b.seq);

/** The most recently created leaf at or below `start`. */
export function latestLeaf(start: NodeRow, children: Map<string, NodeRow[]>): NodeRow {
  let best: NodeRow | null = null;
  const stack = [start];
  while (stack.length > 0) {
    const n = stack.pop() as NodeRow;
    const kids = children.get(n.id);
    if (kids && kids.length > 0) stack.push(...kids);
    else if (best === null || later(n, best)) best = n;
  }
  return best ?? start;
}
