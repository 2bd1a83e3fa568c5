/**
 * audit — owns `audit_log`, the append-only record of security-relevant actions (logins, key changes, role
 * changes, store deletion, …). Others call `AuditService.record`, inside their transaction when they have one.
 */
export { auditMigrations } from './audit.migrations.js';
export { registerAuditRoutes } from './audit.routes.js';
export {
  type Actor,
  type AuditAction,
  type AuditEntry,
  type AuditRecord,
  type AuditService,
  createAuditService,
  SYSTEM_ACTOR,
} from './audit.service.js';
