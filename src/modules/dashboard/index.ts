// Module `dashboard`: owns serving the dashboard bundle (dashboard/, built by dashboard/build.ts) at `/` and
// `/assets/*` on the api role. No tables. Others use `registerDashboardRoutes` with a build from
// `buildDashboard()` (development, tests) or `readDashboardBuild(dist/dashboard)` (production).

export {
  contentTypeOf,
  type DashboardAssets,
  type DashboardBuild,
  type DashboardFile,
  etagOf,
  gzipBytesOf,
  INDEX_PATH,
  readDashboardBuild,
  writeDashboardBuild,
} from './dashboard.assets.js';
export { registerDashboardRoutes } from './dashboard.routes.js';
