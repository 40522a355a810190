// The window's location as a small hash route, so a reload returns to the same view and
// conversation: #/ (new chat), #/c/<id>, #/models, #/settings.
export type Route = { view: 'chat'; conversationId: string | null } | { view: 'models' } | { view: 'settings' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/models') return { view: 'models' };
  if (path === '/settings') return { view: 'settings' };
  const m = /^\/c\/([^/?#]+)$/.exec(path);
  if (m?.[1]) {
    try {
      return { view: 'chat', conversationId: decodeURIComponent(m[1]) };
    } catch {
      return { view: 'chat', conversationId: null };
    }
  }
  return { view: 'chat', conversationId: null };
}

export function formatRoute(route: Route): string {
  if (route.view === 'models') return '#/models';
  if (route.view === 'settings') return '#/settings';
  return route.conversationId ? `#/c/${encodeURIComponent(route.conversationId)}` : '#/';
}
