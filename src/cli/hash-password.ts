/** `camrelay hash-password`: reads a password (prompted on a terminal, else one line of stdin) and prints its hash. */
import { createInterface } from 'node:readline';
import { hashPassword } from '../security/password.js';

async function readPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  if (process.stdin.isTTY) {
    // Echo nothing of what is typed.
    const out = rl as unknown as { _writeToOutput: (text: string) => void };
    process.stderr.write('Password: ');
    out._writeToOutput = () => {};
  }
  try {
    const line = await new Promise<string>((resolve, reject) => {
      rl.once('line', resolve);
      rl.once('close', () => reject(new Error('no password given on standard input')));
    });
    return line;
  } finally {
    if (process.stdin.isTTY) process.stderr.write('\n');
    rl.close();
  }
}

export async function hashPasswordCommand(): Promise<void> {
  let password: string;
  try {
    password = await readPassword();
  } catch (err) {
    process.stderr.write(`camrelay: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (password.length < 8) {
    process.stderr.write('camrelay: use a password of at least 8 characters\n');
    process.exit(2);
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
}
