import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BIN, ROOT, requireInCi, skipOutsideCi } from '../support/index.js';
import { analyzeUnit, systemdAnalyzeMissing } from '../support/systemd.js';

const UNIT = join(ROOT, 'deploy/camrelay.service');
const missing = systemdAnalyzeMissing();

/** The unit's settings, `key → values` (a key may repeat). */
function settings(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!]);
  }
  return map;
}

describe('the systemd unit (deploy/camrelay.service)', () => {
  it('passes systemd-analyze verify without a warning', { skip: skipOutsideCi(missing) }, async () => {
    requireInCi(missing);
    const { code, output } = await analyzeUnit(UNIT, BIN, ['verify']);
    assert.equal(code, 0, output);
    assert.equal(output.trim(), '', 'no warning: every key known, every value valid');
  });

  it('runs camrelay unprivileged, with the cameras, a config and a state directory, and little else', () => {
    const unit = settings(readFileSync(UNIT, 'utf8'));
    const one = (key: string) => unit.get(key)?.join(' ');
    assert.equal(one('ExecStart'), '/usr/local/bin/camrelay serve --config /etc/camrelay/camrelay.yaml');
    assert.equal(one('User'), 'camrelay');
    assert.equal(one('SupplementaryGroups'), 'video');
    assert.equal(one('ConfigurationDirectory'), 'camrelay');
    assert.equal(one('StateDirectory'), 'camrelay');
    assert.equal(one('ProtectSystem'), 'strict');
    assert.equal(one('NoNewPrivileges'), 'yes');
    assert.equal(one('DeviceAllow'), 'char-video4linux rw');
    assert.equal(one('CapabilityBoundingSet'), '');
    assert.equal(one('Restart'), 'on-failure');
    assert.equal(one('RestartPreventExitStatus'), '2', 'a bad config is not restarted in a loop');
    assert.equal(unit.get('MemoryDenyWriteExecute'), undefined, "it would stop Node's JIT compiler");
  });

  it('rates as well protected by systemd-analyze security', { skip: skipOutsideCi(missing) }, async () => {
    requireInCi(missing);
    const { output } = await analyzeUnit(UNIT, BIN, ['security', '--offline=yes', '--no-pager']);
    const level = /Overall exposure level for camrelay\.service: (\d+(?:\.\d+)?) (\S+)/.exec(output);
    assert.ok(level, output.slice(-500));
    assert.ok(Number(level[1]) <= 2.5, `exposure ${level[1]} ${level[2]} (0 is best, 10 worst)`);
  });
});
