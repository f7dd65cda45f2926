/**
 * The per-pixel motion mask the analysis leaves behind (`MotionAnalyser.mask`, the zone editor's live
 * view): what each analysed pixel was found to be in the last picture.
 */

/** Unchanged. */
export const MASK_STILL = 0;
/** Changed, but dropped as noise, speckle or too small a region (or a global change). */
export const MASK_FILTERED = 1;
/** Part of a moving region that counts. */
export const MASK_MOTION = 2;
