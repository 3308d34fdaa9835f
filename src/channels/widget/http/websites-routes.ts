import { z } from 'zod';
import { actorOfApiKey } from '../../../core/actor';
import type { Database } from '../../../core/database';
import type { ApiKey, ChannelName, Website } from '../../../core/model/types';
import type { Json } from '../../../core/serialize';
import { createWebsite, deleteWebsite, getWebsite, listWebsites, rotateIdentitySecret, updateWebsite, widgetSnippet } from '../../../core/websites/websites';
import { hasScope } from '../../../http/auth';
import { route, type RouteSpec } from '../../../http/route';
import { idParams } from '../../../http/params';
import { websiteView } from '../../../http/views';
import { websiteCreateInput, websitePatchInput } from './website-input';

export interface WebsiteRouteDeps {
  db: Database;
  publicUrl: string;
  /** The channel websites' visitors write on, where their inboxes are. */
  channel: ChannelName;
}

/** A website as the API shows it: the identity secret only to admin keys, which can change it anyway. */
function shown(website: Json<Website>, apiKey: ApiKey, publicUrl: string) {
  const { identitySecret, ...rest } = website;
  return { ...rest, ...(hasScope(apiKey, 'admin') ? { identitySecret } : {}), snippet: widgetSnippet(publicUrl, website.key) };
}

// Long on purpose: a list of declarative route specs that share their dependencies.
/** The websites that embed the chat widget: their keys, allowed origins, look and team. */
export function websiteRoutes({ db, publicUrl, channel }: WebsiteRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/websites',
      operationId: 'listWebsites',
      summary: 'List the websites that embed the chat widget',
      tag: 'Websites',
      scope: 'read',
      responses: { 200: { description: 'Websites', schema: z.object({ items: z.array(websiteView) }) } },
      async handler({ apiKey }) {
        return { status: 200, body: { items: (await listWebsites(db)).map((w) => shown(w, apiKey, publicUrl)) } };
      },
    }),
    route({
      method: 'get',
      path: '/websites/:id',
      operationId: 'getWebsite',
      summary: 'Get a website and its script tag',
      tag: 'Websites',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The website', schema: websiteView } },
      async handler({ params, apiKey }) {
        return { status: 200, body: shown(await getWebsite(db, params.id), apiKey, publicUrl) };
      },
    }),
    route({
      method: 'post',
      path: '/websites',
      operationId: 'createWebsite',
      summary: 'Add a website: answers its key, identity secret and script tag',
      tag: 'Websites',
      scope: 'admin',
      body: websiteCreateInput,
      example: { name: 'Shop', allowedOrigins: ['https://shop.example.com', 'https://*.example.com'], color: '#0f766e', greeting: 'Hi! How can we help?', position: 'right', locale: 'en' },
      responses: { 201: { description: 'The new website', schema: websiteView } },
      async handler({ body, apiKey }) {
        return { status: 201, body: shown(await createWebsite(db, channel, body, actorOfApiKey(apiKey)), apiKey, publicUrl) };
      },
    }),
    route({
      method: 'patch',
      path: '/websites/:id',
      operationId: 'updateWebsite',
      summary: "Change a website's origins, look, team or options",
      tag: 'Websites',
      scope: 'admin',
      params: idParams,
      body: websitePatchInput,
      example: { allowedOrigins: ['https://shop.example.com'], awayMessage: 'We are back at 9:00.', preChatForm: true },
      errors: [404],
      responses: { 200: { description: 'The website after the change', schema: websiteView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: shown(await updateWebsite(db, channel, params.id, body, actorOfApiKey(apiKey)), apiKey, publicUrl) };
      },
    }),
    route({
      method: 'post',
      path: '/websites/:id/rotate-secret',
      operationId: 'rotateWebsiteSecret',
      summary: 'Replace the identity secret (hashes made with the old one are refused from now on)',
      tag: 'Websites',
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The website with its new identity secret', schema: websiteView } },
      async handler({ params, apiKey }) {
        return { status: 200, body: shown(await rotateIdentitySecret(db, params.id, actorOfApiKey(apiKey)), apiKey, publicUrl) };
      },
    }),
    route({
      method: 'delete',
      path: '/websites/:id',
      operationId: 'deleteWebsite',
      summary: 'Remove a website and its page views (its conversations stay)',
      tag: 'Websites',
      scope: 'admin',
      params: idParams,
      errors: [404],
      responses: { 204: { description: 'Removed' } },
      async handler({ params, apiKey }) {
        await deleteWebsite(db, channel, params.id, actorOfApiKey(apiKey));
        return { status: 204 };
      },
    }),
  ];
}
