import { describe, expect, it } from 'vitest';
import { renderSchedule, type ScheduledJob } from './cron-schedule.js';

const JOBS: ScheduledJob[] = [
  { name: 'retention', schedule: '15 3 * * *', description: 'Deletes events past each store retention' },
  { name: 'expired-keys', schedule: '*/30 * * * *', description: 'Purges keys expired for 30 days' },
  { name: 'table-upkeep', schedule: '0 4 * * SUN', description: 'Analyzes the big tables' },
  { name: 'month-report', schedule: '0 6 1 * MON', description: 'Runs on the 1st and on Mondays' },
];
const options = { baseUrl: 'https://footfall.example.com/' };

describe('renderSchedule crontab', () => {
  const output = renderSchedule(JOBS, 'crontab', options);
  const lines = output.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

  it('runs in UTC and has one curl line per job with the job schedule', () => {
    expect(lines[0]).toBe('CRON_TZ=UTC');
    for (const job of JOBS) {
      const line = lines.find((l) => l.includes(`/api/cron/${job.name} `));
      expect(line, job.name).toBeDefined();
      expect(line?.startsWith(`${job.schedule} curl -fsS`)).toBe(true);
      expect(line).toContain('-X POST -H "Authorization: Bearer $FOOTFALL_CRON_TOKEN"');
      expect(line).toContain(`https://footfall.example.com/api/cron/${job.name}`);
    }
    expect(lines).toHaveLength(JOBS.length + 1);
  });

  it('never puts a % (a newline in crontab) in a command', () => {
    for (const line of lines) expect(line).not.toContain('%');
  });

  it('uses the token placeholder it is given', () => {
    expect(
      renderSchedule(JOBS, 'crontab', { ...options, tokenPlaceholder: '$(cat /etc/ff-token)' }),
    ).toContain('Bearer $(cat /etc/ff-token)');
  });
});

describe('renderSchedule eventbridge', () => {
  const template = JSON.parse(renderSchedule(JOBS, 'eventbridge', options)) as {
    Parameters: Record<string, { NoEcho?: boolean }>;
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const resources = Object.values(template.Resources);
  const rules = resources.filter((r) => r.Type === 'AWS::Events::Rule');
  const destinations = resources.filter((r) => r.Type === 'AWS::Events::ApiDestination');

  it('has an API destination per job posting to its endpoint', () => {
    expect(destinations.map((d) => d.Properties.InvocationEndpoint).sort()).toEqual(
      JOBS.map((job) => `https://footfall.example.com/api/cron/${job.name}`).sort(),
    );
    for (const destination of destinations) expect(destination.Properties.HttpMethod).toBe('POST');
  });

  it('translates each schedule to the AWS six-field cron form', () => {
    const expressions = rules.map((r) => r.Properties.ScheduleExpression).sort();
    expect(expressions).toEqual(
      [
        'cron(15 3 * * ? *)',
        'cron(0,30 * * * ? *)',
        'cron(0 4 ? * SUN *)',
        // Day of month OR day of week: two rules, since AWS needs `?` in one of them.
        'cron(0 6 1 * ? *)',
        'cron(0 6 ? * MON *)',
      ].sort(),
    );
  });

  it('keeps the token out of the template (a NoEcho parameter feeds the connection)', () => {
    expect(template.Parameters.CronToken?.NoEcho).toBe(true);
    const connection = resources.find((r) => r.Type === 'AWS::Events::Connection');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
    expect(JSON.stringify(connection)).toContain('Bearer ${CronToken}');
  });
});

describe('renderSchedule k8s', () => {
  const output = renderSchedule(JOBS, 'k8s', { ...options, namespace: 'shop' });
  const documents = output.split('\n---\n');

  it('emits one CronJob per job with the schedule in UTC', () => {
    expect(documents).toHaveLength(JOBS.length);
    JOBS.forEach((job, i) => {
      const doc = documents[i] ?? '';
      expect(doc).toContain('kind: CronJob');
      expect(doc).toContain(`name: "footfall-${job.name}"`);
      expect(doc).toContain('namespace: "shop"');
      expect(doc).toContain(`schedule: ${JSON.stringify(job.schedule)}`);
      expect(doc).toContain('timeZone: "Etc/UTC"');
      expect(doc).toContain(`- "https://footfall.example.com/api/cron/${job.name}"`);
    });
  });

  it('calls curl with the token from a secret', () => {
    for (const doc of documents) {
      expect(doc).toMatch(/image: "curlimages\/curl:[\d.]+"/);
      expect(doc).toContain('- "Authorization: Bearer $(FOOTFALL_CRON_TOKEN)"');
      expect(doc).toContain('secretKeyRef:');
      expect(doc).toContain('name: "footfall-cron"');
      expect(doc).toContain('key: "token"');
    }
  });
});
