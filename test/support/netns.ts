/**
 * Network namespaces for the tests (and bench/) that cross a real network: namespaces joined by
 * veth pairs, a link shaped with a token bucket (`tc qdisc ... tbf`), and a node script run inside
 * a namespace with its JSON output lines collected. Everything here needs root; netnsMissing()
 * says why a machine cannot (see ci.ts for how tests skip or fail on it).
 *
 * Only namespaces and addresses that the caller creates are touched: nothing on the host's own
 * interfaces. Delete what you made with deleteNetns() even after a failure.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ROOT } from './paths.js';

export function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why this machine cannot create namespaces and shape links, or undefined when it can. */
export function netnsMissing(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'needs root to create network namespaces and tbf qdiscs (CI runs the suite as root)';
  const probe = `camrelay-check-${randomBytes(3).toString('hex')}`;
  try {
    run('ip', ['netns', 'add', probe]);
    run('ip', ['netns', 'del', probe]);
    run('tc', ['-V']);
  } catch (err) {
    return `cannot create network namespaces or run tc here: ${(err as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/** A short random id for names that must not collide with a concurrent run (interface names: 15 chars). */
export function netnsId(): string {
  return randomBytes(3).toString('hex');
}

/** Creates the namespaces, each with its loopback up. */
export function addNetns(...names: string[]): void {
  for (const name of names) {
    run('ip', ['netns', 'add', name]);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }
}

/** Deletes the namespaces that exist among `names` (their ends of veth pairs go with them). */
export function deleteNetns(...names: string[]): void {
  for (const name of names) {
    try {
      run('ip', ['netns', 'del', name]);
    } catch {
      // not created
    }
  }
}

/** One end of a veth pair: its namespace, interface name (at most 15 characters) and address/prefix. */
export interface VethEnd {
  netns: string;
  dev: string;
  address: string;
}

/**
 * A veth pair between two namespaces, addressed and up. Each end knows the other's hardware address
 * for good (a permanent neighbour entry): on a shaped link full of video, an ARP reply can wait behind
 * it or be dropped, and a new connection would fail with EHOSTUNREACH, which is not what a test measures.
 */
export function addVeth(a: VethEnd, b: VethEnd): void {
  run('ip', ['link', 'add', a.dev, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.netns]);
  for (const end of [a, b]) {
    run('ip', ['-n', end.netns, 'addr', 'add', end.address, 'dev', end.dev]);
    run('ip', ['-n', end.netns, 'link', 'set', end.dev, 'up']);
  }
  for (const [end, peer] of [
    [a, b],
    [b, a],
  ] as const) {
    const [link] = JSON.parse(run('ip', ['-n', peer.netns, '-j', 'link', 'show', 'dev', peer.dev])) as {
      address: string;
    }[];
    const address = peer.address.split('/')[0]!;
    run('ip', [
      '-n',
      end.netns,
      'neigh',
      'replace',
      address,
      'lladdr',
      link!.address,
      'dev',
      end.dev,
      'nud',
      'permanent',
    ]);
  }
}

export interface TbfOptions {
  /** tc's rate, e.g. `4mbit`, `512kbit`. */
  rate: string;
  /** Bucket size (default 32kbit). */
  burst?: string;
  /** Longest a packet may wait in the queue before it is dropped (default 50ms). */
  latency?: string;
}

/**
 * Shapes what leaves `dev` in `netns` (its egress: the direction towards the pair's other end) with a
 * token bucket; replaces whatever root qdisc it had, so calling it again changes the rate mid-run.
 */
export function shapeLink(netns: string, dev: string, { rate, burst = '32kbit', latency = '50ms' }: TbfOptions): void {
  run('tc', [
    '-n',
    netns,
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    rate,
    'burst',
    burst,
    'latency',
    latency,
  ]);
}

/** Bytes sent through `dev`'s root qdisc so far (what crossed the shaped link, headers included). */
export function linkBytesSent(netns: string, dev: string): number {
  const out = run('tc', ['-s', '-n', netns, 'qdisc', 'show', 'dev', dev]);
  return Number(/Sent (\d+) bytes/.exec(out)?.[1] ?? NaN);
}

/**
 * `node --import tsx SCRIPT ...args` inside a namespace: each stdout line parsed as JSON and kept;
 * stderr kept as text. Kill it (child.kill) before deleting its namespace.
 */
export class NetnsScript {
  readonly lines: Record<string, unknown>[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  stderr = '';
  private partial = '';

  constructor(netns: string, script: string, args: string[]) {
    this.child = spawn('ip', ['netns', 'exec', netns, process.execPath, '--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => {
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop() ?? '';
      for (const p of parts) if (p) this.lines.push(JSON.parse(p) as Record<string, unknown>);
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdin!.on('error', () => {}); // it may have exited already
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** Writes one line to its stdin. */
  tell(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }
}
