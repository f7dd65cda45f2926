/**
 * The camera id rule, in one place. A config id (also an edge's name, and a camera's id on its edge) is
 * 1 to 64 characters of a-z 0-9 _ -, never a dot; a camera an edge publishes is served as
 * `<edge>.<camera>`, so the two never collide; an access rule may name every camera of an edge as
 * `<edge>.*`. Imports nothing: config, outputs, relay and security all use it.
 */

const PART = '[a-z0-9_-]{1,64}';

/** A config id, an edge name, a camera id on an edge. */
export const CAMERA_ID = new RegExp(`^${PART}$`);

/** What CAMERA_ID accepts, for error messages. */
export const CAMERA_ID_RULE = '1 to 64 characters from a-z 0-9 _ -';

/** An id the routes accept: a config id, or `<edge>.<camera>` for a camera an edge publishes (src/relay). */
export const SERVED_CAMERA_ID = new RegExp(`^${PART}(\\.${PART})?$`);

/** A camera in a credential's list: a served id, or `<edge>.*` for every camera of an edge. */
export const CAMERA_PATTERN = new RegExp(`^${PART}(\\.(${PART}|\\*))?$`);
