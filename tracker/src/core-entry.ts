// footfall.core.js: track/page/identify/reset/consent and delivery.
import { boot } from './boot.js';

boot();
