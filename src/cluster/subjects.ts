/**
 * The NATS subjects of the cluster, in one place. Camera ids (`front`, `<edge>.<camera>`) are valid
 * subject tokens as they are: a-z 0-9 _ - and at most one dot, never `*` or `>`.
 */
export const SUBJECT_PREFIX = 'camrelay';

export const subjects = {
  /** Each hub's heartbeat: its part of the catalogue. */
  beat: (hub: string) => `${SUBJECT_PREFIX}.hub.${hub}`,
  beats: `${SUBJECT_PREFIX}.hub.*`,
  /** Requests to a hub for a camera it owns (want, with or without catch-up; stop). */
  want: (hub: string) => `${SUBJECT_PREFIX}.want.${hub}`,
  /** A camera's access units, once for the whole cluster, while some hub wants them. */
  media: (camera: string) => `${SUBJECT_PREFIX}.media.${camera}`,
  /** The current group of pictures for one hub that just joined a camera. */
  catchUp: (hub: string, camera: string) => `${SUBJECT_PREFIX}.catchup.${hub}.${camera}`,
  /** A login session this hub does not know, asked of every hub by its digest; the one that has it answers. */
  sessionLookup: `${SUBJECT_PREFIX}.session.lookup`,
  /** A session ended (logout) on one hub: every hub drops it. */
  sessionEnd: `${SUBJECT_PREFIX}.session.end`,
};

/** A want request: `stop` ends this hub's interest at once instead of letting it expire. */
export interface WantRequest {
  camera: string;
  hub: string;
  catchUp?: boolean;
  stop?: boolean;
}
