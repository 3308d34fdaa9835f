import type { Database } from '../../../../core/database';
import type { Outbox } from '../../../../core/outbox';
import type { RouteSpec } from '../../../../http/route';
import type { EndpointSettings } from '../endpoint-admin';
import { deliveryRoutes } from './delivery-routes';
import { endpointRoutes } from './endpoint-routes';

/** `/api/v1/webhooks`, admin scope: the endpoints, their secrets and their delivery logs. */
export function webhookApiRoutes(deps: { db: Database; outbox: Outbox; settings: EndpointSettings }): RouteSpec[] {
  return [...endpointRoutes(deps), ...deliveryRoutes(deps)];
}
