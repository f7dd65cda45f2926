/**
 * Camera URLs as camrelay shows them (the `camera configured` start-up log, `camrelay check`):
 * the password of the user info and the values of credential-like query parameters masked, the
 * rest as written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maskUrl } from '../../src/sources/spec.js';
import { freePort, runCamrelay, startCamrelay, waitFor } from '../support/index.js';

const SECRETS = ['pw-secret', 'hunter2', 'tok-secret', 'at-secret', 'sig-secret', 'SIG2', 'k3y'];

describe('camera URLs shown masked', () => {
  it('masks the password and credential-like query values, case-insensitively, keeping their names', () => {
    assert.equal(maskUrl('rtsp://admin:pw-secret@10.0.0.7/stream1'), 'rtsp://admin:***@10.0.0.7/stream1');
    assert.equal(
      maskUrl('http://10.0.0.7/video.cgi?user=admin&pwd=hunter2&channel=1'),
      'http://10.0.0.7/video.cgi?user=admin&pwd=***&channel=1',
    );
    assert.equal(
      maskUrl('http://cam/x?Password=hunter2&TOKEN=tok-secret&access_token=at-secret&sig=sig-secret&Signature=SIG2'),
      'http://cam/x?Password=***&TOKEN=***&access_token=***&sig=***&Signature=***',
    );
    for (const name of ['pass', 'passwd', 'key', 'auth', 'apikey', 'api_key', 'api-key', 'secret', 'auth_token']) {
      assert.equal(maskUrl(`http://cam/x?a=1&${name}=k3y#frag`), `http://cam/x?a=1&${name}=***#frag`, name);
    }
    // Names that only contain one of those stay as they are.
    assert.equal(maskUrl('http://cam/x?keyframe=1&monkey=2&passive=3'), 'http://cam/x?keyframe=1&monkey=2&passive=3');
    assert.equal(maskUrl('http://cam/x?pwd=&a=1'), 'http://cam/x?pwd=***&a=1');
  });

  it('neither `camrelay check` nor the start-up log shows them', async () => {
    const port = await freePort(); // nothing listens there: the probe fails at once
    const query = 'password=hunter2&token=tok-secret&access_token=at-secret&sig=sig-secret&Signature=SIG2&apikey=k3y';
    const camera = `door=http://admin:pw-secret@127.0.0.1:${port}/video.mjpg?${query}`;
    const check = runCamrelay(['check', '--camera', camera, '--timeout', '20'], undefined, 40_000);
    assert.equal(check.status, 1, check.stderr);
    assert.match(check.stdout, /door\s+FAILED\s+http:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/video\.mjpg\?password=\*\*\*&/);
    assert.match(check.stderr, /camera door/);
    for (const secret of SECRETS)
      assert.ok(!`${check.stdout}${check.stderr}`.includes(secret), `check shows ${secret}`);

    const { proc } = await startCamrelay(['serve', '--port', '0', '--camera', camera]);
    try {
      // The line comes from the server's own output: waited for, not assumed read by the time it listens.
      await waitFor(() => proc.logs.some((l) => l.msg === 'camera configured'), 10_000, 'the camera configured line');
      const configured = proc.logs.find((l) => l.msg === 'camera configured');
      assert.match(
        String(configured?.source),
        /^http:\/\/admin:\*\*\*@127\.0\.0\.1:\d+\/video\.mjpg\?password=\*\*\*&/,
      );
    } finally {
      await proc.stop('SIGTERM', 5000);
    }
    for (const secret of SECRETS)
      assert.ok(!`${proc.stdout}${proc.stderr}`.includes(secret), `the log shows ${secret}`);
  });
});
