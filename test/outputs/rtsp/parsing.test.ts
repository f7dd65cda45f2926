/**
 * The RTSP server's parsing of what clients send, alone: request heads and interleaved frames (split
 * anywhere), paths, Transport headers, Authorization (Digest checked against a known answer), and the
 * `rtsp:` section of the config file.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { DigestNonces, parseAuthorization } from '../../../src/outputs/rtsp/authorization.js';
import { settleRtsp } from '../../../src/outputs/rtsp/config.js';
import { parseStreamPath } from '../../../src/outputs/rtsp/paths.js';
import { RequestParser, type ParsedItem } from '../../../src/outputs/rtsp/request-parser.js';
import { chooseTransport } from '../../../src/outputs/rtsp/transport-header.js';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

describe('RequestParser', () => {
  const bytes = Buffer.concat([
    Buffer.from('OPTIONS rtsp://h/door RTSP/1.0\r\nCSeq: 1\r\nX-A: 1\r\nx-a: 2\r\n\r\n'),
    Buffer.from([0x24, 1, 0, 3, 9, 8, 7]),
    Buffer.from('\r\nSET_PARAMETER rtsp://h/door RTSP/1.0\r\nCSeq: 2\r\nContent-Length: 5\r\n\r\nhello'),
  ]);

  it('reads requests, bodies and interleaved frames, whatever the chunks', () => {
    for (let cut = 1; cut < bytes.length; cut++) {
      const parser = new RequestParser();
      const items: ParsedItem[] = [...parser.push(bytes.subarray(0, cut)), ...parser.push(bytes.subarray(cut))];
      assert.equal(items.length, 3, `cut at ${cut}`);
      const [first, frame, second] = items;
      assert.ok(first?.kind === 'request' && frame?.kind === 'interleaved' && second?.kind === 'request');
      assert.equal(first.request.method, 'OPTIONS');
      assert.equal(first.request.headers.get('x-a'), '1, 2');
      assert.deepEqual([frame.channel, ...frame.data], [1, 9, 8, 7]);
      assert.equal(Buffer.from(second.request.body).toString(), 'hello');
      assert.equal(second.request.cseq, '2');
    }
  });

  it('errors: each with its status, and nothing after them', () => {
    const error = (text: string): ParsedItem | undefined => new RequestParser().push(Buffer.from(text))[0];
    assert.deepEqual(error('\x00garbage'), { kind: 'error', status: 400, reason: 'not an RTSP request' });
    assert.equal((error('GET / HTTP/1.1\r\nCSeq: 1\r\n\r\n') as { status: number }).status, 400);
    assert.equal((error('OPTIONS * RTSP/1.0\r\n\r\n') as { status: number }).status, 400, 'no CSeq');
    assert.equal((error('OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n') as { status: number }).status, 505);
    assert.equal((error(`OPTIONS /${'a'.repeat(3000)} RTSP/1.0\r\nCSeq: 1\r\n\r\n`) as { status: number }).status, 414);
    assert.equal(
      (error('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 9999\r\n\r\n') as { status: number }).status,
      413,
    );
    assert.equal(
      (error('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -1\r\n\r\n') as { status: number }).status,
      400,
    );
    assert.equal((error('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nno colon\r\n\r\n') as { status: number }).status, 400);
    const many = Array.from({ length: 70 }, (_, i) => `X-${i}: y`).join('\r\n');
    assert.equal((error(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n${many}\r\n\r\n`) as { status: number }).status, 400);
    assert.equal((error(`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX: ${'a'.repeat(9000)}`) as { status: number }).status, 400);
    const parser = new RequestParser();
    assert.equal(parser.push(Buffer.from('\x00'))[0]?.kind, 'error');
    assert.deepEqual(parser.push(Buffer.from('OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n')), [], 'nothing after an error');
  });
});

describe('paths', () => {
  it('a camera, its sub-stream, relayed ids, track controls; nothing else', () => {
    assert.deepEqual(parseStreamPath('rtsp://h:8554/door'), { camera: 'door', stream: 'main', key: 'door' });
    assert.deepEqual(parseStreamPath('/door/sub/trackID=0'), {
      camera: 'door',
      stream: 'sub',
      key: 'door/sub',
      track: 0,
    });
    assert.deepEqual(parseStreamPath('rtsps://h/shed.door/?x=1'), {
      camera: 'shed.door',
      stream: 'main',
      key: 'shed.door',
    });
    assert.equal(parseStreamPath('rtsp://h/door/trackID=1')?.track, 1);
    for (const bad of [
      'rtsp://h/',
      '/',
      '/door/main',
      '/a/b/c',
      '/Door',
      '/%zz',
      'http://h/door',
      '/door/trackID=123',
      '/../etc',
    ])
      assert.equal(parseStreamPath(bad), undefined, bad);
  });
});

describe('Transport header', () => {
  it('interleaved TCP, UDP client ports, the first choice served', () => {
    assert.deepEqual(chooseTransport('RTP/AVP/TCP;unicast;interleaved=2-3', true), { kind: 'tcp', channel: 2 });
    assert.deepEqual(chooseTransport('RTP/AVP/TCP;unicast', true), { kind: 'tcp' });
    assert.deepEqual(chooseTransport('RTP/AVP;unicast;client_port=5000-5001', true), {
      kind: 'udp',
      rtpPort: 5000,
      rtcpPort: 5001,
    });
    assert.deepEqual(chooseTransport('RTP/AVP;multicast,RTP/AVP/UDP;unicast;client_port=6000', true), {
      kind: 'udp',
      rtpPort: 6000,
      rtcpPort: 6001,
    });
    assert.equal(chooseTransport('RTP/AVP;unicast;client_port=5000-5001', false).kind, 'invalid', 'no UDP over rtsps');
    assert.equal(chooseTransport('RTP/AVP/TCP;interleaved=255-256', true).kind, 'invalid');
    assert.equal(chooseTransport('RTP/AVP/TCP;interleaved=4-6', true).kind, 'invalid');
    assert.equal(chooseTransport('RTP/AVP;unicast;client_port=0-1', true).kind, 'invalid');
    assert.equal(chooseTransport('RAW/RAW/UDP;unicast', true).kind, 'invalid');
    assert.equal(chooseTransport(undefined, true).kind, 'invalid');
  });
});

describe('Authorization', () => {
  const nonces = new DigestNonces();
  it('Basic', () => {
    const header = `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`;
    assert.deepEqual(parseAuthorization(header, 'DESCRIBE', nonces), {
      scheme: 'basic',
      name: 'alice',
      password: 'pa:ss',
    });
    assert.equal(parseAuthorization('Basic Zm9v', 'DESCRIBE', nonces)?.scheme, 'invalid');
    assert.equal(parseAuthorization('Bearer x', 'DESCRIBE', nonces)?.scheme, 'invalid');
    assert.equal(parseAuthorization(undefined, 'DESCRIBE', nonces), undefined);
  });

  it('Digest, with and without qop; a stale or foreign nonce is refused', () => {
    const nonce = nonces.issue();
    const ha1 = md5('alice:camrelay:secret');
    const uri = 'rtsp://h/door';
    const plain = md5(`${ha1}:${nonce}:${md5(`DESCRIBE:${uri}`)}`);
    const header = `Digest username="alice", realm="camrelay", nonce="${nonce}", uri="${uri}", response="${plain}"`;
    const credentials = parseAuthorization(header, 'DESCRIBE', nonces);
    assert.ok(credentials?.scheme === 'digest');
    assert.equal(credentials.verify(ha1), true);
    assert.equal(credentials.verify(md5('alice:camrelay:other')), false);
    const other = parseAuthorization(header, 'PLAY', nonces);
    assert.ok(other?.scheme === 'digest' && !other.verify(ha1), 'the method is part of the answer');
    const qop = md5(`${ha1}:${nonce}:00000001:abc:auth:${md5(`DESCRIBE:${uri}`)}`);
    const withQop = parseAuthorization(
      `Digest username="alice", realm="camrelay", nonce="${nonce}", uri="${uri}", qop=auth, nc=00000001, cnonce="abc", response="${qop}"`,
      'DESCRIBE',
      nonces,
    );
    assert.ok(withQop?.scheme === 'digest' && withQop.verify(ha1));
    assert.equal(
      parseAuthorization(header.replace(nonce, new DigestNonces().issue()), 'DESCRIBE', nonces)?.scheme,
      'invalid',
    );
    const old = nonces.issue(Date.now() - 11 * 60_000);
    assert.equal(parseAuthorization(header.replace(nonce, old), 'DESCRIBE', nonces)?.scheme, 'invalid');
    assert.equal(parseAuthorization(header.replace('camrelay', 'other'), 'DESCRIBE', nonces)?.scheme, 'invalid');
  });
});

describe('config', () => {
  it('`rtsp:` off unless present or --rtsp-port; host from the server; bad keys named', () => {
    assert.equal(settleRtsp(undefined, undefined, '127.0.0.1'), undefined);
    assert.deepEqual(settleRtsp(undefined, 9554, '0.0.0.0'), { host: '0.0.0.0', port: 9554, sessionTimeoutMs: 60_000 });
    const file = parseConfigText('rtsp: { port: 554, session_timeout: 30 }\n', 'x.yaml');
    assert.deepEqual(settleRtsp(file.rtsp, undefined, '::'), { host: '::', port: 554, sessionTimeoutMs: 30_000 });
    assert.throws(() => parseConfigText('rtsp: { port: 70000 }\n', 'x.yaml'), /rtsp\.port/);
    assert.throws(() => parseConfigText('rtsp: { prot: 8554 }\n', 'x.yaml'), /rtsp\.prot/);
    assert.throws(() => parseConfigText('rtsp: { session_timeout: 1 }\n', 'x.yaml'), /rtsp\.session_timeout/);
  });
});
