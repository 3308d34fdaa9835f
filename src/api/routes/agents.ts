import { z } from 'zod';
import { actorOfApiKey } from '../../core/actor';
import { createAgent, getAgent, listAgents, updateAgent, type AgentView } from '../../core/agents/agents';
import { createTeam, getTeam, listTeams, updateTeam, type TeamView } from '../../core/agents/teams';
import type { Database } from '../../core/database';
import { afterResolveInputs, emailInput, nameInput } from '../../http/inputs';
import { route, type RouteSpec } from '../../http/route';
import { idParams } from '../../http/params';
import { agentView, teamView } from '../../http/views';

const agentFields = {
  name: nameInput,
  email: emailInput,
  slackUserId: z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'a Slack user id like U012AB3CD').nullable().optional(),
  status: z.enum(['online', 'away', 'offline']).optional(),
  capacity: z.int().min(0).max(1000).optional().describe('How many open conversations the agent takes at once'),
  teamIds: z.array(z.uuid()).max(100).optional().describe('The teams the agent belongs to (a patch replaces them); their websites show "online" while the agent is'),
};
const teamFields = {
  name: nameInput,
  slackChannelId: z
    .string()
    .regex(/^[CG][A-Z0-9]{6,20}$/, 'a Slack channel id like C0123ABCD')
    .nullable()
    .optional()
    .describe("Slack channel for the team's conversation threads; unset: SLACK_DEFAULT_CHANNEL"),
  ...afterResolveInputs,
};

/**
 * The channel whose agent accounts and team locations the API shows as `slackUserId` and
 * `slackChannelId`: core keeps them per channel, clients know them by these fields.
 */
const SLACK = 'slack';

function shownAgent({ accounts, ...agent }: AgentView) {
  return { ...agent, slackUserId: accounts[SLACK] ?? null };
}

function shownTeam({ locations, ...team }: TeamView) {
  return { ...team, slackChannelId: locations[SLACK] ?? null };
}

function agentInput<T extends { slackUserId?: string | null }>({ slackUserId, ...fields }: T) {
  return { ...fields, ...(slackUserId === undefined ? {} : { accounts: { [SLACK]: slackUserId } }) };
}

function teamInput<T extends { slackChannelId?: string | null }>({ slackChannelId, ...fields }: T) {
  return { ...fields, ...(slackChannelId === undefined ? {} : { locations: { [SLACK]: slackChannelId } }) };
}

// Long on purpose: a list of declarative route specs that share their dependencies.
export function agentRoutes({ db }: { db: Database }): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/agents',
      operationId: 'listAgents',
      summary: 'List agents',
      tag: 'Agents',
      scope: 'read',
      responses: { 200: { description: 'Agents', schema: z.object({ items: z.array(agentView) }) } },
      async handler() {
        return { status: 200, body: { items: (await listAgents(db)).map(shownAgent) } };
      },
    }),
    route({
      method: 'get',
      path: '/agents/:id',
      operationId: 'getAgent',
      summary: 'Get an agent',
      tag: 'Agents',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The agent', schema: agentView } },
      async handler({ params }) {
        return { status: 200, body: shownAgent(await getAgent(db, params.id)) };
      },
    }),
    route({
      method: 'post',
      path: '/agents',
      operationId: 'createAgent',
      summary: 'Add an agent',
      tag: 'Agents',
      scope: 'admin',
      body: z.strictObject(agentFields),
      example: { name: 'Grace Hopper', email: 'grace@example.com', slackUserId: 'U012AB3CD', status: 'online', capacity: 8, teamIds: ['3f2b7c1e-8d4a-4f6b-9c2e-5a1d0e7b6c43'] },
      errors: [409],
      responses: { 201: { description: 'The new agent', schema: agentView } },
      async handler({ body, apiKey }) {
        return { status: 201, body: shownAgent(await createAgent(db, agentInput(body), actorOfApiKey(apiKey))) };
      },
    }),
    route({
      method: 'patch',
      path: '/agents/:id',
      operationId: 'updateAgent',
      summary: "Change an agent's details, status, capacity or teams",
      tag: 'Agents',
      scope: 'write',
      params: idParams,
      body: z.strictObject(agentFields).partial().refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' }),
      example: { status: 'away' },
      errors: [404, 409],
      responses: { 200: { description: 'The agent after the change', schema: agentView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: shownAgent(await updateAgent(db, params.id, agentInput(body), actorOfApiKey(apiKey))) };
      },
    }),
    route({
      method: 'get',
      path: '/teams',
      operationId: 'listTeams',
      summary: 'List teams',
      tag: 'Teams',
      scope: 'read',
      responses: { 200: { description: 'Teams', schema: z.object({ items: z.array(teamView) }) } },
      async handler() {
        return { status: 200, body: { items: (await listTeams(db)).map(shownTeam) } };
      },
    }),
    route({
      method: 'get',
      path: '/teams/:id',
      operationId: 'getTeam',
      summary: 'Get a team',
      tag: 'Teams',
      scope: 'read',
      params: idParams,
      errors: [404],
      responses: { 200: { description: 'The team', schema: teamView } },
      async handler({ params }) {
        return { status: 200, body: shownTeam(await getTeam(db, params.id)) };
      },
    }),
    route({
      method: 'post',
      path: '/teams',
      operationId: 'createTeam',
      summary: 'Add a team',
      tag: 'Teams',
      scope: 'admin',
      body: z.strictObject(teamFields),
      example: { name: 'Billing', followUpDelayHours: 48, transcriptOnResolve: true },
      errors: [409],
      responses: { 201: { description: 'The new team', schema: teamView } },
      async handler({ body, apiKey }) {
        return { status: 201, body: shownTeam(await createTeam(db, teamInput(body), actorOfApiKey(apiKey))) };
      },
    }),
    route({
      method: 'patch',
      path: '/teams/:id',
      operationId: 'updateTeam',
      summary: "Rename a team, or change its Slack channel or what follows a resolution",
      tag: 'Teams',
      scope: 'admin',
      params: idParams,
      body: z.strictObject(teamFields).partial().refine((b) => Object.keys(b).length > 0, { message: 'name at least one field to change' }),
      example: { name: 'Billing & Payments', followUpDelayHours: 0 },
      errors: [404, 409],
      responses: { 200: { description: 'The team after the change', schema: teamView } },
      async handler({ params, body, apiKey }) {
        return { status: 200, body: shownTeam(await updateTeam(db, params.id, teamInput(body), actorOfApiKey(apiKey))) };
      },
    }),
  ];
}
