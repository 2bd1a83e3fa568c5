import { http, type Query, seg } from './client.js';
import type {
  AddedMember,
  ApiKey,
  AuditEntry,
  CreatedApiKey,
  CreateKeyInput,
  CronJob,
  CronRun,
  CursorPage,
  DeadLetter,
  EventsQuery,
  FunnelReport,
  FunnelRequest,
  ItemList,
  LiveReport,
  Me,
  Member,
  Order,
  OrganizationSummary,
  PrivacyRequest,
  PrivacyRequestInput,
  PrivacyRequestKind,
  ReplayResult,
  ReportName,
  ReportQuery,
  ReportShapes,
  Role,
  RotatedApiKey,
  Store,
  StoreSettings,
  TrackedEvent,
} from './types.js';

const store = (storeId: string) => `/api/v1/stores/${seg(storeId)}`;
const org = (orgId: string) => `/api/v1/orgs/${seg(orgId)}`;

/** Reports with a time series: only they take `granularity` (the others refuse unknown query fields). */
const SERIES_REPORTS: ReadonlySet<ReportName> = new Set<ReportName>(['overview', 'ecommerce']);

/** The query string of a report: see ReportQuery in types.ts. Filters are plain `dimension=value` pairs. */
export function reportQuery(params: ReportQuery, options: { hasSeries?: boolean } = {}): Query {
  const query: Query = {
    from: params.from,
    to: params.to,
    compare: params.compare,
    granularity: options.hasSeries ? params.granularity : undefined,
    limit: params.limit,
  };
  for (const filter of params.filters ?? []) query[filter.dimension] = filter.value;
  return { ...query, ...params.extra };
}

/** Typed calls, one per endpoint the dashboard uses. */
export const api = {
  login: (email: string, password: string) => http.post<Me>('/api/v1/auth/login', { email, password }),
  logout: () => http.post<void>('/api/v1/auth/logout'),
  me: (signal?: AbortSignal) => http.get<Me>('/api/v1/me', undefined, signal),

  organizations: (signal?: AbortSignal) =>
    http.get<ItemList<OrganizationSummary>>('/api/v1/orgs', undefined, signal),
  createOrganization: (name: string) => http.post<OrganizationSummary>('/api/v1/orgs', { name }),
  renameOrganization: (orgId: string, name: string) => http.patch<OrganizationSummary>(org(orgId), { name }),

  stores: (orgId: string, signal?: AbortSignal) =>
    http.get<ItemList<Store>>(`${org(orgId)}/stores`, undefined, signal),
  createStore: (orgId: string, input: Partial<StoreSettings> & { name: string }) =>
    http.post<Store>(`${org(orgId)}/stores`, input),
  store: (storeId: string, signal?: AbortSignal) => http.get<Store>(store(storeId), undefined, signal),
  updateStore: (storeId: string, patch: Partial<StoreSettings>) => http.patch<Store>(store(storeId), patch),
  deleteStore: (storeId: string) => http.delete<Store>(store(storeId)),
  restoreStore: (storeId: string) => http.post<Store>(`${store(storeId)}/restore`),

  keys: (storeId: string, signal?: AbortSignal) =>
    http.get<ItemList<ApiKey>>(`${store(storeId)}/keys`, undefined, signal),
  createKey: (storeId: string, input: CreateKeyInput) =>
    http.post<CreatedApiKey>(`${store(storeId)}/keys`, input),
  rotateKey: (storeId: string, keyId: string, grace: string) =>
    http.post<RotatedApiKey>(`${store(storeId)}/keys/${seg(keyId)}/rotate`, { grace }),
  revokeKey: (storeId: string, keyId: string) => http.delete<ApiKey>(`${store(storeId)}/keys/${seg(keyId)}`),

  members: (orgId: string, signal?: AbortSignal) =>
    http.get<ItemList<Member>>(`${org(orgId)}/members`, undefined, signal),
  addMember: (orgId: string, input: { email: string; role: Role; name?: string }) =>
    http.post<AddedMember>(`${org(orgId)}/members`, input),
  changeRole: (orgId: string, memberId: string, role: Role) =>
    http.patch<Member>(`${org(orgId)}/members/${seg(memberId)}`, { role }),
  removeMember: (orgId: string, memberId: string) =>
    http.delete<void>(`${org(orgId)}/members/${seg(memberId)}`),

  audit: (orgId: string, query: { limit?: number; cursor?: string; action?: string }, signal?: AbortSignal) =>
    http.get<CursorPage<AuditEntry>>(`${org(orgId)}/audit`, query, signal),

  events: (storeId: string, query: EventsQuery, signal?: AbortSignal) =>
    http.get<CursorPage<TrackedEvent>>(`${store(storeId)}/events`, { ...query }, signal),
  orders: (storeId: string, query: { limit?: number; cursor?: string }, signal?: AbortSignal) =>
    http.get<CursorPage<Order>>(`${store(storeId)}/orders`, query, signal),

  deadLetters: (
    storeId: string,
    query: { limit?: number; cursor?: string; includeReplayed?: boolean },
    signal?: AbortSignal,
  ) => http.get<CursorPage<DeadLetter>>(`${store(storeId)}/dead-letters`, query, signal),
  replayDeadLetter: (storeId: string, id: string) =>
    http.post<ReplayResult>(`${store(storeId)}/dead-letters/${seg(id)}/replay`),

  privacyRequests: (storeId: string, kind: PrivacyRequestKind, signal?: AbortSignal) =>
    http.get<CursorPage<PrivacyRequest>>(
      `${store(storeId)}/privacy/${kind === 'erasure' ? 'erasures' : 'exports'}`,
      undefined,
      signal,
    ),
  createPrivacyRequest: (storeId: string, kind: PrivacyRequestKind, input: PrivacyRequestInput) =>
    http.post<PrivacyRequest>(
      `${store(storeId)}/privacy/${kind === 'erasure' ? 'erasures' : 'exports'}`,
      input,
    ),

  cronJobs: (orgId: string, signal?: AbortSignal) =>
    http.get<ItemList<CronJob>>(`${org(orgId)}/cron/jobs`, undefined, signal),
  cronRuns: (orgId: string, query: { job?: string; limit?: number; cursor?: string }, signal?: AbortSignal) =>
    http.get<CursorPage<CronRun>>(`${org(orgId)}/cron/runs`, query, signal),

  report: <N extends ReportName>(storeId: string, name: N, params: ReportQuery, signal?: AbortSignal) =>
    http.get<ReportShapes[N]>(
      `${store(storeId)}/reports/${name}`,
      reportQuery(params, { hasSeries: SERIES_REPORTS.has(name) }),
      signal,
    ),
  /** A funnel of your own steps (POST: the steps do not fit a query string). */
  funnel: (storeId: string, params: ReportQuery, body: FunnelRequest, signal?: AbortSignal) =>
    http.post<FunnelReport>(`${store(storeId)}/reports/funnel`, body, reportQuery(params), signal),
  live: (storeId: string, query: { minutes?: number; limit?: number }, signal?: AbortSignal) =>
    http.get<LiveReport>(`${store(storeId)}/reports/live`, query, signal),
};
