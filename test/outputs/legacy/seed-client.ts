/** A client of the replaced system's protocol, as its page uses it: ask, and ask again on each answer. */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import WebSocket from 'ws';

export interface SeedAnswer {
  jpeg: Buffer;
  sha1: string;
}

/** Parses one answer; throws unless it is {"img": "data:image/jpeg;base64,…"}. */
export function parseAnswer(text: string): SeedAnswer {
  const message = JSON.parse(text) as { img?: unknown };
  if (typeof message.img !== 'string') throw new Error('no "img" string in the answer');
  const m = /^data:image\/jpeg;base64,([A-Za-z0-9+/]+=*)$/.exec(message.img);
  if (!m?.[1]) throw new Error(`"img" is not a base64 JPEG data URL: ${message.img.slice(0, 40)}`);
  const jpeg = Buffer.from(m[1], 'base64');
  return { jpeg, sha1: createHash('sha1').update(jpeg).digest('hex') };
}

export async function openSeed(url: string, origin?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  await once(ws, 'open');
  return ws;
}

/** Asks as fast as answers come for `ms`, and returns the answers. */
export async function pull(ws: WebSocket, ms: number): Promise<SeedAnswer[]> {
  const answers: SeedAnswer[] = [];
  let running = true;
  const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (isBinary) throw new Error('a binary answer');
    answers.push(parseAnswer(data.toString()));
    if (running) ws.send('msg');
  };
  ws.on('message', onMessage);
  ws.send('msg');
  await new Promise((r) => setTimeout(r, ms));
  running = false;
  ws.off('message', onMessage);
  return answers;
}
