/**
 * Webhooks against a real HTTP receiver: signed bodies, retries with backoff after a 5xx and after
 * no answer (the timeout), no retry after a 4xx, and a bounded queue behind a slow endpoint.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { signature, Webhooks } from '../../src/notify/index.js';
import type { EventNotice } from '../../src/events/index.js';
import { quietLogger, waitFor } from '../support/index.js';

const notice = (id: number, type: EventNotice['type'] = 'start', camera = 'door'): EventNotice => ({
  type,
  event: { id, camera, start: 1000, end: null, score: 0.5, zones: [], hasSnapshot: false, lastSeen: 1000 },
});
const json = (n: EventNotice) => ({ ...n.event, snapshot: null, clip: null });

describe('webhooks', () => {
  let url: string;
  let answer: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_q, res) => res.end();
  const received: { path: string; body: string; signature: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        body,
        signature: req.headers['x-camrelay-signature'] as string | undefined,
      });
      answer(req, res, body);
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const hooks = (config: Partial<ConstructorParameters<typeof Webhooks>[0][0]>, maxQueue = 100) =>
    new Webhooks([{ url: `${url}/hook`, events: ['start', 'end'], timeoutMs: 300, ...config }], {
      log: quietLogger(),
      version: 'test',
      retryMs: 50,
      tries: 3,
      maxQueue,
    });

  it('signs the body, and sends only the changes and cameras asked for', async () => {
    received.length = 0;
    answer = (_q, res) => res.end('ok');
    const w = hooks({ secret: 'sixteen-chars-secret', cameras: ['door'] });
    w.notice(notice(1, 'update'), json(notice(1)));
    w.notice(notice(2, 'start', 'yard'), json(notice(2, 'start', 'yard')));
    w.notice(notice(3), json(notice(3)));
    await waitFor(() => w.hooks[0]!.counters.delivered === 1, 3000, 'a delivery');
    assert.equal(received.length, 1);
    assert.equal(received[0]!.signature, signature('sixteen-chars-secret', received[0]!.body));
    assert.equal((JSON.parse(received[0]!.body) as { event: { id: number } }).event.id, 3);
    w.close();
  });

  it('tries again after a 5xx and after no answer, never after a 4xx', async () => {
    received.length = 0;
    let calls = 0;
    answer = (_q, res) => {
      calls++;
      if (calls === 1) res.writeHead(503).end();
      else if (calls === 2)
        return; // no answer: the timeout
      else res.end('ok');
    };
    const w = hooks({});
    w.notice(notice(4), json(notice(4)));
    await waitFor(() => w.hooks[0]!.counters.delivered === 1, 5000, 'delivered on the third try');
    assert.equal(w.hooks[0]!.counters.retries, 2);
    received.length = 0;
    answer = (_q, res) => res.writeHead(400).end();
    w.notice(notice(5), json(notice(5)));
    await waitFor(() => w.hooks[0]!.counters.failed === 1, 3000, 'failed');
    assert.equal(received.length, 1, 'a 4xx is not tried again');
    w.close();
  });

  it('keeps a bounded queue behind an endpoint that does not answer', async () => {
    answer = () => undefined;
    const w = hooks({}, 5);
    for (let i = 0; i < 20; i++) w.notice(notice(100 + i), json(notice(100 + i)));
    assert.equal(w.hooks[0]!.counters.dropped, 14, '20 - 1 in flight - 5 queued');
    w.close();
  });
});
