/**
 * This hub's own link to NATS falling behind (src/cluster/bus-pressure.ts), against a real nats-server
 * that stops answering (SIGSTOP) and then carries on (SIGCONT): congested once a flush is outstanding past
 * the limit, clear again when it comes back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BusPressure } from '../../src/cluster/bus-pressure.js';
import { requireInCi, skipOutsideCi, waitFor } from '../support/index.js';
import { natsMissing, NatsServer } from '../support/nats.js';

const missing = natsMissing();
const skip = skipOutsideCi(missing);

describe("a hub's link to NATS falling behind", { skip }, () => {
  let nats: NatsServer;
  let nc: NatsConnection;

  before(async () => {
    if (missing) return;
    nats = await NatsServer.start();
    nc = await connect({ servers: nats.url, pingInterval: 60_000 });
  });

  after(async () => {
    nats?.pause(false);
    await nc?.close();
    await nats?.stop();
  });

  it('says so while a flush is outstanding past the limit, and clears when it returns', async () => {
    requireInCi(missing);
    const pressure = new BusPressure(() => nc, 500);
    pressure.start();
    try {
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(pressure.congested, false, 'a live server answers its flushes');
      nats.pause(true);
      await waitFor(() => pressure.congested || undefined, 5000, 'congestion while the server is stopped');
      assert.equal(pressure.congestions, 1);
      nats.pause(false);
      await waitFor(() => !pressure.congested || undefined, 5000, 'clear once it answers again');
    } finally {
      pressure.stop();
    }
  });
});
