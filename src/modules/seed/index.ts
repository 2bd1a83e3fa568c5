/**
 * seed — owns no tables. Generates realistic store traffic (deterministic for a seed) and bulk-loads it into
 * the pipeline's tables with the report rollups computed in the same pass: `footfall seed`, the first-start
 * demo and the benchmark use it. Others may use `seedStore`, `renderProgress` and the generator.
 */

export {
  renderProgress,
  type SeedDeps,
  type SeedOptions,
  type SeedProgress,
  type SeedResult,
  seedStore,
} from './seed.service.js';
export {
  createRandom,
  type GeneratedDay,
  type GeneratedOrder,
  type GeneratedSession,
  type GeneratorOptions,
  generateTraffic,
  seedRate,
} from './seed-generator.js';
