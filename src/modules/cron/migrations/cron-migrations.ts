import type { ModuleMigration } from '../../../platform/db/schema.js';
import { cronRunsMigration } from './202611250300-cron-runs.js';
import { cronTokensMigration } from './202611250300-cron-tokens.js';

export const cronMigrations: ModuleMigration[] = [cronRunsMigration, cronTokensMigration];
