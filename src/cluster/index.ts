/**
 * Several hubs as one, over NATS (src/cluster): the one entry point. `startCluster` is called by the
 * server's wiring (src/server/app.ts) when the config has `cluster:`; without it nothing here runs.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { CameraRegistry } from '../hub/registry.js';
import { Cluster, type ClusterInfo, type RecordElsewhere } from './cluster.js';
import type { ClusterConfig } from './config.js';
import type { RemoteCameraFactory } from './remote-cameras.js';
import type { SessionLink } from '../security/index.js';

export { Cluster, type ClusterInfo, type RecordElsewhere };
export type { ClusterRecorder } from './remote-cameras.js';
export { addClusterMetrics } from './metrics.js';
export { REMOTE_KIND, type RemoteCameraFactory } from './remote-cameras.js';
export { clusterSchema, settleCluster, ClusterConfigError, type ClusterConfig } from './config.js';

export function startCluster(
  config: ClusterConfig,
  registry: CameraRegistry,
  factory: RemoteCameraFactory,
  log: Logger,
  recordOn?: ReadonlyMap<string, RecordElsewhere>,
  sessionLink?: SessionLink,
): Cluster {
  const cluster = new Cluster(config, registry, factory, log, recordOn, sessionLink);
  cluster.start();
  return cluster;
}

/** GET /api/cluster: the hubs, who owns what, the bus traffic per camera, the cameras each hub pulls. */
export const clusterRoutes: FastifyPluginAsync<{ cluster: Cluster | undefined }> = async (app, { cluster }) => {
  app.get('/api/cluster', async (_request, reply) => {
    if (!cluster) return reply.code(404).send({ error: 'this hub is not in a cluster (no cluster: in its config)' });
    return cluster.info();
  });
};
