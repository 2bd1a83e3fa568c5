/**
 * access — owns no tables. Authenticates every management request (session cookie + CSRF, or a secret key),
 * resolves the organization or store a route names, and enforces the permission the route declares.
 */
export { type AccessService, createAccessService } from './access.service.js';
