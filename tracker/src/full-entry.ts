// footfall.js: the core plus the eCommerce helpers.
import { boot } from './boot.js';
import { createEcommerce } from './ecommerce.js';

boot((core) => createEcommerce(core.track));
