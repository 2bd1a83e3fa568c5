import { Type } from 'typebox';

/** RFC 9457 problem body (every 4xx/5xx of these routes); extension members pass through. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    field: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

const problems = { 400: ProblemSchema, 401: ProblemSchema, 404: ProblemSchema, 503: ProblemSchema };

export const JobParamsSchema = Type.Object({
  job: Type.String({ minLength: 1, maxLength: 64 }),
});

export const RunQuerySchema = Type.Object(
  {
    /** Checked by the service (ISO with zone, aligned, inside the window) so the problem names `slot`. */
    slot: Type.Optional(Type.String({ maxLength: 40 })),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RunOutcomeSchema = Type.Object({
  job: Type.String(),
  slot: Type.String({ format: 'date-time' }),
  status: Type.Union([
    Type.Literal('ran'),
    Type.Literal('skipped'),
    Type.Literal('running'),
    Type.Literal('failed'),
  ]),
  runId: Type.String({ pattern: '^run_' }),
  dryRun: Type.Boolean(),
  result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
});

export const TickResponseSchema = Type.Object({ runs: Type.Array(RunOutcomeSchema) });

const RunStatusSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
]);

export const RunViewSchema = Type.Object({
  id: Type.String({ pattern: '^run_' }),
  job: Type.String(),
  slot: Type.String({ format: 'date-time' }),
  status: RunStatusSchema,
  dryRun: Type.Boolean(),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  heartbeatAt: Type.String({ format: 'date-time' }),
  rowsAffected: Type.Integer(),
  result: Type.Unknown(),
  error: Type.Union([Type.String(), Type.Null()]),
  instance: Type.String(),
  fence: Type.Integer(),
  attempts: Type.Integer(),
});

export const RunsQuerySchema = Type.Object(
  {
    job: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(RunStatusSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false },
);

export const RunsResponseSchema = Type.Object({
  items: Type.Array(RunViewSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const JobsResponseSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      name: Type.String(),
      schedule: Type.String(),
      description: Type.String(),
      leaseMs: Type.Integer(),
      lastRun: Type.Union([RunViewSchema, Type.Null()]),
    }),
  ),
});

export const runJobSchema = {
  tags: ['cron'],
  summary: 'Run one job for its latest slot, or for ?slot= (exactly once per job and slot)',
  security: [{ cronToken: [] }],
  params: JobParamsSchema,
  querystring: RunQuerySchema,
  response: { 200: RunOutcomeSchema, ...problems },
};

export const tickSchema = {
  tags: ['cron'],
  summary: 'Run every job whose latest slot has not run yet',
  security: [{ cronToken: [] }],
  response: { 200: TickResponseSchema, 401: ProblemSchema, 503: ProblemSchema },
};

export const listRunsSchema = {
  tags: ['cron'],
  summary: 'Run history, newest first',
  security: [{ cronToken: [] }],
  querystring: RunsQuerySchema,
  response: { 200: RunsResponseSchema, 400: ProblemSchema, 401: ProblemSchema },
};

export const listJobsSchema = {
  tags: ['cron'],
  summary: 'Registered jobs with their last run',
  security: [{ cronToken: [] }],
  response: { 200: JobsResponseSchema, 401: ProblemSchema },
};
