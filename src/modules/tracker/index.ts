// Module `tracker`: owns the browser tracker's served form (bundled footfall.js / footfall.core.js with
// ETag, SRI and content-hash version), the install snippet, and the demo shop's location. No tables, no
// routes: the HTTP layer serves `get(name).code` and the files under `demoShopDir`.

export {
  createTrackerAssets,
  DEMO_WRITE_KEY_PLACEHOLDER,
  defaultTrackerDistDir,
  demoShopDir,
  QUEUE_STUB,
  readTrackerBuild,
  type SnippetOptions,
  type TrackerAsset,
  type TrackerAssets,
  writeTrackerBuild,
} from './tracker.assets.js';
export {
  type BuiltTrackerFile,
  bundleTracker,
  canBundleTracker,
  TRACKER_FILES,
  type TrackerBuild,
  type TrackerFileName,
} from './tracker.bundler.js';
