/**
 * A WebSocket route asked for without an upgrade (`GET /video` typed into a browser, a proxy that
 * drops the Upgrade header) answers 426 Upgrade Required with the JSON error every route uses,
 * not @fastify/websocket's empty 404. Installed before the websocket plugin: its onRoute hook then
 * sees a route with a wsHandler of its own and a plain HTTP handler, ours.
 */
import type { FastifyInstance, FastifyReply, RouteOptions } from 'fastify';
import type {} from '@fastify/websocket'; // route options `websocket` and `wsHandler`
import { errorBody } from '../outputs/http-errors.js';

function upgradeRequired(_request: unknown, reply: FastifyReply): FastifyReply {
  return reply
    .code(426)
    .header('upgrade', 'websocket')
    .header('connection', 'Upgrade')
    .send(errorBody(426, 'this is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)'));
}

export function answerPlainRequestsToWebSockets(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions & { websocket?: boolean; wsHandler?: unknown }) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!route.websocket || route.wsHandler || !methods.includes('GET')) return;
    route.wsHandler = route.handler as never;
    route.handler = upgradeRequired;
    route.websocket = false;
  });
}
