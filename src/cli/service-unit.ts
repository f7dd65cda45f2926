/**
 * What `serve` will see under systemd, for `camrelay check` run by hand as the service's user
 * (`sudo -u camrelay camrelay check …` from an admin's directory): the camrelay.service unit that
 * systemd would run (an installed one and its drop-ins, else the one the package ships in deploy/),
 * its User= and its StateDirectory=, which systemd passes to serve as $STATE_DIRECTORY.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const UNIT = 'camrelay.service';
/** Where systemd looks for system units, most important first. */
const UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/usr/lib/systemd/system',
  '/lib/systemd/system',
];
/** The unit the package ships: dist/cli/ (or src/cli/) → deploy/. */
const SHIPPED = fileURLToPath(new URL(`../../deploy/${UNIT}`, import.meta.url));

export interface ServiceUnit {
  /** The unit file read (its drop-ins applied). */
  file: string;
  user?: string;
  /** StateDirectory='s first entry, made absolute (/var/lib/…). */
  stateDirectory?: string;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The [Service] keys camrelay cares about, in order; an empty value resets, as in systemd. */
function apply(text: string, into: { user?: string; state?: string }): void {
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) section = line;
    if (section !== '[Service]' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key === 'User') into.user = value || undefined;
    if (key === 'StateDirectory') into.state = value.split(/\s+/)[0] || undefined;
  }
}

/** The unit systemd would run as camrelay.service, or undefined when none is found. */
export function findServiceUnit(dirs: readonly string[] = UNIT_DIRS, shipped = SHIPPED): ServiceUnit | undefined {
  const installed = dirs.map((dir) => join(dir, UNIT)).find((file) => readText(file) !== undefined);
  const file = installed ?? shipped;
  const text = readText(file);
  if (text === undefined) return undefined;
  const settings: { user?: string; state?: string } = {};
  apply(text, settings);
  if (installed) {
    // Drop-ins (`systemctl edit camrelay`) in name order; a name in an earlier directory hides the same name later.
    const dropIns = new Map<string, string>();
    for (const dir of [...dirs].reverse()) {
      let names: string[];
      try {
        names = readdirSync(join(dir, `${UNIT}.d`)).filter((n) => n.endsWith('.conf'));
      } catch {
        continue;
      }
      for (const name of names) dropIns.set(name, join(dir, `${UNIT}.d`, name));
    }
    for (const name of [...dropIns.keys()].sort()) apply(readText(dropIns.get(name)!) ?? '', settings);
  }
  return {
    file,
    ...(settings.user ? { user: settings.user } : {}),
    // Relative to /var/lib for a system unit.
    ...(settings.state ? { stateDirectory: join('/var/lib', settings.state) } : {}),
  };
}
