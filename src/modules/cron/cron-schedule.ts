import { parseCronExpression, toAwsCronExpressions } from './cron-expression.js';

/**
 * Ready-to-use scheduler configuration for every registered job, printed by `footfall cron schedule`.
 * Every call omits `?slot`: the server maps a call to the latest slot itself, so a scheduler that fires late,
 * twice, or on a superset of the minutes still runs each slot exactly once.
 */
export type ScheduleFormat = 'crontab' | 'eventbridge' | 'k8s';
export const SCHEDULE_FORMATS: readonly ScheduleFormat[] = ['crontab', 'eventbridge', 'k8s'];

export interface ScheduledJob {
  name: string;
  schedule: string;
  description: string;
}

export interface ScheduleOptions {
  /** Where the API role answers, e.g. `https://footfall.example.com` (EventBridge needs https). */
  baseUrl: string;
  /** How the crontab line refers to the token; default `$FOOTFALL_CRON_TOKEN` (set in the crontab's environment). */
  tokenPlaceholder?: string;
  /** Kubernetes secret holding the token; default `footfall-cron`, key `token`. */
  secretName?: string;
  secretKey?: string;
  namespace?: string;
  /** curlimages/curl tag for the Kubernetes jobs. */
  curlImage?: string;
}

const DEFAULT_CURL_IMAGE = 'curlimages/curl:8.11.1';

function jobUrl(baseUrl: string, job: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/cron/${encodeURIComponent(job)}`;
}

/** `expired-keys` → `ExpiredKeys`, for CloudFormation logical ids (alphanumeric only). */
function pascalCase(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function renderCrontab(jobs: readonly ScheduledJob[], options: ScheduleOptions): string {
  const token = options.tokenPlaceholder ?? '$FOOTFALL_CRON_TOKEN';
  const lines = [
    '# Footfall cron jobs (footfall cron schedule --format crontab). Schedules are UTC:',
    '# CRON_TZ is honoured by cronie; with other crons, run this on a host whose clock is UTC.',
  ];
  if (token.startsWith('$')) {
    lines.push(
      `# Define ${token.slice(1)} above these lines with a token from \`footfall cron token create\`.`,
    );
  }
  lines.push('CRON_TZ=UTC', '');
  for (const job of jobs) {
    const expression = parseCronExpression(job.schedule);
    lines.push(`# ${job.name}: ${job.description.replace(/\s+/g, ' ')}`);
    // `%` is a newline in crontab commands; nothing below contains one (job names are [a-z0-9-]).
    lines.push(
      `${expression.source} curl -fsS --retry 2 -X POST -H "Authorization: Bearer ${token}" ${jobUrl(options.baseUrl, job.name)} >/dev/null`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function renderEventBridge(jobs: readonly ScheduledJob[], options: ScheduleOptions): string {
  const resources: Record<string, unknown> = {
    FootfallCronConnection: {
      Type: 'AWS::Events::Connection',
      Properties: {
        Description: 'Authorization header for the Footfall cron endpoint',
        AuthorizationType: 'API_KEY',
        AuthParameters: {
          ApiKeyAuthParameters: {
            ApiKeyName: 'Authorization',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
            ApiKeyValue: { 'Fn::Sub': 'Bearer ${CronToken}' },
          },
        },
      },
    },
    FootfallCronInvokeRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        Policies: [
          {
            PolicyName: 'InvokeFootfallCron',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: 'events:InvokeApiDestination',
                  Resource: {
                    'Fn::Sub':
                      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
                      'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:api-destination/*',
                  },
                },
              ],
            },
          },
        ],
      },
    },
  };
  for (const job of jobs) {
    const id = `FootfallCron${pascalCase(job.name)}`;
    resources[`${id}Destination`] = {
      Type: 'AWS::Events::ApiDestination',
      Properties: {
        Description: job.description,
        ConnectionArn: { 'Fn::GetAtt': ['FootfallCronConnection', 'Arn'] },
        HttpMethod: 'POST',
        InvocationEndpoint: jobUrl(options.baseUrl, job.name),
        InvocationRateLimitPerSecond: 1,
      },
    };
    toAwsCronExpressions(job.schedule).forEach((scheduleExpression, index) => {
      resources[`${id}Rule${index === 0 ? '' : index + 1}`] = {
        Type: 'AWS::Events::Rule',
        Properties: {
          Description: `Footfall cron ${job.name} (${job.schedule} UTC)`,
          ScheduleExpression: scheduleExpression,
          State: 'ENABLED',
          Targets: [
            {
              Id: `footfall-${job.name}`,
              Arn: { 'Fn::GetAtt': [`${id}Destination`, 'Arn'] },
              RoleArn: { 'Fn::GetAtt': ['FootfallCronInvokeRole', 'Arn'] },
              RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
            },
          ],
        },
      };
    });
  }
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'Footfall cron: EventBridge scheduled rules (UTC) calling POST /api/cron/<job> through API destinations. ' +
      'API destinations give up after 5 s and retry; a retry of a long job answers "running", which is harmless.',
    Parameters: {
      CronToken: {
        Type: 'String',
        NoEcho: true,
        Description: 'A cron token from `footfall cron token create`',
      },
    },
    Resources: resources,
  };
  return `${JSON.stringify(template, null, 2)}\n`;
}

function renderKubernetes(jobs: readonly ScheduledJob[], options: ScheduleOptions): string {
  // JSON strings are valid YAML scalars, so every value is emitted through JSON.stringify.
  const q = (value: string) => JSON.stringify(value);
  const secretName = options.secretName ?? 'footfall-cron';
  const secretKey = options.secretKey ?? 'token';
  const image = options.curlImage ?? DEFAULT_CURL_IMAGE;
  const documents = jobs.map((job) => {
    const expression = parseCronExpression(job.schedule);
    const lines = [
      'apiVersion: batch/v1',
      'kind: CronJob',
      'metadata:',
      `  name: ${q(`footfall-${job.name}`)}`,
      ...(options.namespace ? [`  namespace: ${q(options.namespace)}`] : []),
      '  labels:',
      '    app.kubernetes.io/part-of: footfall',
      '  annotations:',
      `    footfall.dev/description: ${q(job.description)}`,
      'spec:',
      `  schedule: ${q(expression.source)}`,
      '  timeZone: "Etc/UTC"',
      // The server already runs each slot once; Forbid only saves a pod while a long run is in progress.
      '  concurrencyPolicy: Forbid',
      '  startingDeadlineSeconds: 300',
      '  successfulJobsHistoryLimit: 1',
      '  failedJobsHistoryLimit: 3',
      '  jobTemplate:',
      '    spec:',
      '      backoffLimit: 2',
      '      template:',
      '        spec:',
      '          restartPolicy: Never',
      '          containers:',
      '            - name: trigger',
      `              image: ${q(image)}`,
      '              args:',
      ...['-fsS', '--retry', '2', '-X', 'POST', '-H', 'Authorization: Bearer $(FOOTFALL_CRON_TOKEN)']
        .concat(jobUrl(options.baseUrl, job.name))
        .map((arg) => `                - ${q(arg)}`),
      '              env:',
      '                - name: FOOTFALL_CRON_TOKEN',
      '                  valueFrom:',
      '                    secretKeyRef:',
      `                      name: ${q(secretName)}`,
      `                      key: ${q(secretKey)}`,
    ];
    return lines.join('\n');
  });
  return `${documents.join('\n---\n')}\n`;
}

export function renderSchedule(
  jobs: readonly ScheduledJob[],
  format: ScheduleFormat,
  options: ScheduleOptions,
): string {
  switch (format) {
    case 'crontab':
      return renderCrontab(jobs, options);
    case 'eventbridge':
      return renderEventBridge(jobs, options);
    case 'k8s':
      return renderKubernetes(jobs, options);
  }
}
