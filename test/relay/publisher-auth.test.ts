/** The publish token check at the upgrade: which edge a token is, with the statuses the endpoint answers. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PublisherConfig } from '../../src/relay/config.js';
import { authenticate } from '../../src/relay/publisher-auth.js';
import { hashToken } from '../../src/security/secrets.js';

function publisher(name: string, token: string): PublisherConfig {
  return { name, tokenHash: hashToken(token), maxFrameBytes: 1 << 20, maxCameras: 4, offlineGraceMs: 1000 };
}

describe('authenticate', () => {
  const publishers = [publisher('shed', 'token-of-the-shed'), publisher('barn', 'token-of-the-barn')];

  it('finds the edge a token belongs to', () => {
    const result = authenticate(publishers, 'Bearer token-of-the-barn', undefined);
    assert.equal(result.ok && result.publisher.name, 'barn');
    const named = authenticate(publishers, 'Bearer token-of-the-shed', 'shed');
    assert.equal(named.ok && named.publisher.name, 'shed');
  });

  it('401 without a bearer token or with an unknown one; 403 for another edge’s name', () => {
    assert.deepEqual(authenticate(publishers, undefined, undefined), {
      ok: false,
      status: 401,
      message: 'a publish token is required: Authorization: Bearer <token>',
    });
    assert.deepEqual(authenticate(publishers, 'Basic abc', undefined).ok, false);
    const wrong = authenticate(publishers, 'Bearer not-a-token', undefined);
    assert.equal(!wrong.ok && wrong.status, 401);
    const other = authenticate(publishers, 'Bearer token-of-the-shed', 'barn');
    assert.equal(!other.ok && other.status, 403);
    assert.match(!other.ok ? other.message : '', /may not publish as edge "barn"/);
  });
});
