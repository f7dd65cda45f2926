// test lane: waiting (idle connections and a client that never reads are closed by timeouts)
/**
 * What a client sends the RTSP server is untrusted: garbage, huge heads, requests out of order, channels
 * that do not exist get their RTSP status (and the connection closed where it cannot go on), never a
 * crash; idle connections are bounded per address and closed; a client that never reads skips to
 * keyframes with a bounded queue, then is closed. The server serves on afterwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep, startServer, waitFor, type TestServer } from '../../support/index.js';
import { RtspTestClient } from '../../support/rtsp-client.js';

const PER_ADDRESS = 20;

describe('RTSP bad input', () => {
  let ts: TestServer;
  let port: number;
  const url = (path: string): string => `rtsp://127.0.0.1:${port}/${path}`;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtsp-bad-'));
    const file = join(dir, 'camrelay.yaml');
    writeFileSync(
      file,
      [
        'rtsp: { port: 0, session_timeout: 5 }',
        `limits: { connections_per_address: ${PER_ADDRESS} }`,
        'cameras:',
        '  - { id: door, source: "testsrc?size=640x480&fps=25", keyframe_interval: 0.5, bitrate: 4000 }',
      ].join('\n'),
    );
    ts = await startServer([], file);
    port = ts.server.rtsp!.port;
  });

  after(async () => {
    await ts?.close();
  });

  /** Sends raw bytes; what comes back until the server closes the connection (or 3 s). */
  async function exchange(raw: string | Buffer): Promise<{ text: string; closed: boolean }> {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    const closed = new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 3000);
    });
    socket.write(raw);
    const wasClosed = await closed;
    socket.destroy();
    return { text, closed: wasClosed };
  }

  it('garbage: 400 and closed', async () => {
    const result = await exchange('\x00\x01\x02 hello there\r\n\r\n');
    assert.match(result.text, /^RTSP\/1\.0 400 Bad Request\r\n/);
    assert.ok(result.closed);
  });

  it('a head over 8 KiB: 400 and closed, before it ends', async () => {
    const result = await exchange(`OPTIONS ${url('door')} RTSP/1.0\r\nCSeq: 1\r\nX-Big: ${'a'.repeat(20_000)}`);
    assert.match(result.text, /^RTSP\/1\.0 400 /);
    assert.ok(result.closed);
  });

  it('malformed requests get their status: no CSeq 400, RTSP/2.0 505, a body too big 413 (all closed)', async () => {
    assert.match((await exchange(`OPTIONS ${url('door')} RTSP/1.0\r\n\r\n`)).text, /^RTSP\/1\.0 400 /);
    assert.match(
      (await exchange(`OPTIONS ${url('door')} RTSP/2.0\r\nCSeq: 1\r\n\r\n`)).text,
      /^RTSP\/1\.0 505 .*\r\nCSeq: 1\r\n/,
    );
    const big = await exchange(`GET_PARAMETER ${url('door')} RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 100000\r\n\r\n`);
    assert.match(big.text, /^RTSP\/1\.0 413 /);
    assert.ok(big.closed);
  });

  it('requests out of order or of nothing: 404, 455, 454, 461, 501, 405; the connection goes on', async () => {
    const client = await RtspTestClient.open(port);
    try {
      assert.equal((await client.request('DESCRIBE', url('nope'))).status, 404);
      assert.equal((await client.request('DESCRIBE', url('door/extra/path'))).status, 404);
      const setup = await client.request('SETUP', `${url('door')}/trackID=0`, {
        Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1',
      });
      assert.equal(setup.status, 455, 'SETUP without DESCRIBE');
      assert.equal((await client.request('PLAY', url('door'), { Session: 'f00d' })).status, 454);
      assert.equal((await client.request('PLAY', url('door'))).status, 454);
      assert.equal((await client.request('FROB', url('door'))).status, 501);
      assert.equal((await client.request('RECORD', url('door'))).status, 405);
      assert.equal((await client.request('DESCRIBE', url('door'))).status, 200);
      const bad = await client.request('SETUP', `${url('door')}/trackID=0`, {
        Transport: 'RTP/AVP/TCP;unicast;interleaved=300-301',
      });
      assert.equal(bad.status, 461, 'a channel that does not exist');
      assert.equal(
        (await client.request('SETUP', `${url('door')}/trackID=5`, { Transport: 'RTP/AVP/TCP' })).status,
        404,
      );
      const multicast = await client.request('SETUP', `${url('door')}/trackID=0`, { Transport: 'RTP/AVP;multicast' });
      assert.equal(multicast.status, 461);
      assert.equal((await client.request('OPTIONS', url('door'))).status, 200, 'still served');
    } finally {
      client.close();
    }
  });

  it('an interleaved frame on a channel never set up closes the connection', async () => {
    const client = await RtspTestClient.open(port);
    await client.request('OPTIONS', url('door'));
    client.socket.write(Buffer.from([0x24, 7, 0, 2, 0xaa, 0xbb]));
    await client.ended;
  });

  it('1000 idle connections: at most the per-address limit stay, and they are closed when idle', async () => {
    const sockets: Socket[] = [];
    let open = 0;
    for (let i = 0; i < 1000; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('connect', () => open++);
      socket.on('close', () => open--);
      sockets.push(socket);
    }
    try {
      await sleep(1000);
      assert.ok(open <= PER_ADDRESS, `${open} idle connections left open`);
      await waitFor(() => open === 0, 10_000, 'the idle connections to be closed (first-request timeout)');
    } finally {
      for (const s of sockets) s.destroy();
    }
    const client = await RtspTestClient.open(port);
    assert.equal((await client.request('OPTIONS', url('door'))).status, 200, 'served again once they are gone');
    client.close();
  });

  it('a client that never reads: its queue skips to keyframes, bounded, and it is closed', async () => {
    const camera = ts.server.registry.get('door')!;
    // Python: a small receive buffer (set before connecting), PLAY over TCP, then never a read.
    const script = [
      'import socket, sys, time',
      's = socket.socket()',
      's.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
      `s.connect(("127.0.0.1", ${port}))`,
      `u = "${url('door')}"`,
      'def req(text):',
      '    s.sendall(text.encode())',
      '    data = b""',
      '    while b"\\r\\n\\r\\n" not in data: data += s.recv(1)',
      '    head = data.decode()',
      '    length = [int(l.split(":")[1]) for l in head.split("\\r\\n") if l.lower().startswith("content-length")]',
      '    if length: s.recv(length[0], socket.MSG_WAITALL)',
      '    return head',
      'req(f"DESCRIBE {u} RTSP/1.0\\r\\nCSeq: 1\\r\\n\\r\\n")',
      'head = req(f"SETUP {u}/trackID=0 RTSP/1.0\\r\\nCSeq: 2\\r\\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\\r\\n\\r\\n")',
      'session = [l.split(":")[1].split(";")[0].strip() for l in head.split("\\r\\n") if l.lower().startswith("session")][0]',
      's.sendall(f"PLAY {u} RTSP/1.0\\r\\nCSeq: 3\\r\\nSession: {session}\\r\\n\\r\\n".encode())',
      'print("playing", flush=True)',
      'time.sleep(60)',
    ].join('\n');
    const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await waitFor(() => out.includes('playing'), 20_000, 'the client to play');
      await waitFor(() => (camera.viewers()[0]?.keyframeSkips ?? 0) > 0, 20_000, 'keyframe skips');
      const stats = camera.viewers()[0]!;
      assert.equal(stats.protocol, 'rtsp');
      assert.ok(stats.framesSkipped! > 0);
      await waitFor(() => camera.viewers().length === 0, 20_000, 'the client that never reads to be closed');
      const client = await RtspTestClient.open(port);
      assert.equal((await client.request('OPTIONS', url('door'))).status, 200, 'the server serves on');
      client.close();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
