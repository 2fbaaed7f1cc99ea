/**
 * COPY and ADD for the engine: `planCopy` (sources, destination, owner,
 * checksum for the cache key; downloads ADD's URLs once) and `copyInto`
 * (carries the plan out in a writable rootfs, only on a cache miss).
 */
export { copyInto, type CopyOptions } from './copy-into.js';
export { planCopy, type CopyPlan, type PlanOptions } from './plan.js';
export { resolveChown, type Owner } from './chown.js';
export type { Download } from './download.js';
