/**
 * A camrelay server (as `serve` builds it) whose events follow a scripted detector: every camera
 * with `motion:` sees motion five times a second, all the time. Run as a process of its own by
 * tests that kill it (`node --import tsx test/support/moving-server.ts CONFIG`); it prints
 * `listening <url>` once it listens.
 */
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { buildServer } from '../../src/server/app.js';
import { HandObservations } from './observations.js';

const config = await loadConfig({ config: process.argv[2], host: '127.0.0.1', port: 0 });
const source = new HandObservations();
const server = await buildServer(config, pino({ level: 'silent' }), undefined, { observations: source });
const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
setInterval(() => {
  for (const camera of config.cameras) if (camera.motion) source.push(camera.id, true, { score: 0.3 });
}, 200);
console.log(`listening ${address}`);
