/** `camrelay hash-token`: a publish token and the hash a hub's config holds. */
import { createInterface } from 'node:readline';
import { hashToken, newToken } from '../security/secrets.js';

async function readLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('no token given on standard input')));
    });
  } finally {
    rl.close();
  }
}

/**
 * No argument: a new random token and its hash. A token (or `-` to read it
 * from standard input, out of the shell history): its hash only.
 */
export async function hashTokenCommand(token?: string): Promise<void> {
  if (token === undefined) {
    const fresh = newToken();
    process.stdout.write(`token: ${fresh}\ntoken_hash: ${hashToken(fresh)}\n`);
    process.stderr.write(
      'Give the token to the edge (publish.token or --token); ' +
        "put token_hash in the hub's config (publishers[].token_hash).\n",
    );
    return;
  }
  let value = token;
  if (token === '-') {
    try {
      value = (await readLine()).trim();
    } catch (err) {
      process.stderr.write(`camrelay: ${(err as Error).message}\n`);
      process.exit(2);
    }
  }
  if (/^sha256:/i.test(value)) {
    process.stderr.write(
      "camrelay: that is already a token hash (sha256:…): it goes in the hub's config (publishers[].token_hash); " +
        'hash-token takes the token itself, the one the edge holds\n',
    );
    process.exit(2);
  }
  if (value.length < 16) {
    process.stderr.write(
      'camrelay: a token of at least 16 characters is expected (run `camrelay hash-token` without one to make one)\n',
    );
    process.exit(2);
  }
  process.stdout.write(`${hashToken(value)}\n`);
}
