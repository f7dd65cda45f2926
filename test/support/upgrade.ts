/** WebSocket upgrades that may be refused: the open socket, or the HTTP status and body that refused it. */
import { WebSocket, type ClientOptions } from 'ws';

export type Upgrade = { ok: true; ws: WebSocket } | { ok: false; status: number; body: string };

/** Attempts a WebSocket upgrade; resolves with the open socket or with the HTTP answer that refused it. */
export function upgrade(url: string, options: ClientOptions = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    let settled = false;
    const settle = (result: Upgrade): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    ws.once('open', () => settle({ ok: true, ws }));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const done = (): void => {
        settle({ ok: false, status: res.statusCode ?? 0, body });
        req.destroy();
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    ws.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

/** The status of an upgrade attempt: 101 when it opened (the socket is closed again at once). */
export async function upgradeStatus(url: string, options: ClientOptions = {}): Promise<number> {
  const result = await upgrade(url, options);
  if (!result.ok) return result.status;
  result.ws.close();
  return 101;
}

/** Attempts an upgrade that should fail; returns the HTTP status and the JSON body. */
export async function rejectedUpgrade(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const result = await upgrade(url);
  if (result.ok) {
    result.ws.close();
    throw new Error(`upgrade to ${url} was accepted`);
  }
  return { status: result.status, body: JSON.parse(result.body) as Record<string, unknown> };
}
