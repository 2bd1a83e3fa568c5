import { Type } from 'typebox';
import type { HttpApp } from '../../platform/http/app.js';
import { requireOrganizationId } from '../../platform/http/request-context.js';
import { errorResponses, IsoTime, PublicIdString } from '../../platform/http/schemas.js';
import type { PublicId } from '../../platform/ids.js';
import type { AuditService } from './audit.service.js';

const AuditView = Type.Object({
  id: PublicIdString('aud'),
  action: Type.String(),
  actor: Type.Object({
    type: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    label: Type.Union([Type.String(), Type.Null()]),
  }),
  targetId: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()], { description: 'Truncated (/24, /48)' }),
  details: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  createdAt: IsoTime,
});

export function registerAuditRoutes(app: HttpApp, deps: { audit: AuditService }): void {
  app.get(
    '/api/v1/orgs/:orgId/audit',
    {
      config: { access: { kind: 'org', permission: 'audit:read' } },
      schema: {
        tags: ['audit'],
        summary: 'The audit log of an organization, newest first',
        params: Type.Object({ orgId: Type.String() }),
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          cursor: Type.Optional(PublicIdString('aud')),
          action: Type.Optional(Type.String({ maxLength: 64 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(AuditView),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const page = await deps.audit.list(requireOrganizationId(request), {
        limit: request.query.limit ?? 50,
        beforeId: (request.query.cursor as PublicId<'aud'> | undefined) ?? null,
        action: request.query.action,
      });
      return {
        items: page.items.map((item) => ({
          id: item.id,
          action: item.action,
          actor: { type: item.actorType, id: item.actorId, label: item.actorLabel },
          targetId: item.targetId,
          ip: item.ip,
          details: item.details,
          createdAt: new Date(item.createdAt).toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
