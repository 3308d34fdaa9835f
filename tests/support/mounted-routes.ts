/** What tests read of express 5's router (the `router` package): layers, routes and sub-routers. */
export interface RouterLike {
  stack: LayerLike[];
}
interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
  handle: unknown;
  rawPath?: unknown;
}

function isRouter(handle: unknown): handle is RouterLike {
  return typeof handle === 'function' && Array.isArray((handle as Partial<RouterLike>).stack);
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Every `METHOD /path` the app answers through a route, walking mounted routers recursively. */
export function mountedRoutes(router: RouterLike, prefix = ''): string[] {
  const found: string[] = [];
  for (const layer of router.stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on) found.push(`${method.toUpperCase()} ${join(prefix, path)}`);
      }
    } else if (isRouter(layer.handle)) {
      if (typeof layer.rawPath !== 'string') throw new Error(`a router is mounted on a path this test cannot read: ${String(layer.rawPath)}`);
      found.push(...mountedRoutes(layer.handle, join(prefix, layer.rawPath)));
    }
  }
  return found;
}

/** The router of the hub's express app. */
export function appRouter(app: unknown): RouterLike {
  const router = (app as { router?: RouterLike } | undefined)?.router;
  if (!router) throw new Error('the hub exposes no express app with a router');
  return router;
}
