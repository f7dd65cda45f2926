/**
 * The README's commands match the command line: every `camrelay COMMAND --flag` it shows (in code
 * blocks and inline code, `npx camrelay` or `camrelay`) names a command and flags that the
 * command's own --help lists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, runCamrelay } from '../support/index.js';

/** Each shell command the README shows: fenced lines (with `\` continuations joined) and inline code. */
function snippets(markdown: string): string[] {
  const out: string[] = [];
  const fenced = /^```[^\n]*\n([\s\S]*?)^```/gm;
  for (const [, body] of markdown.matchAll(fenced)) out.push(...body!.replace(/\\\n\s*/g, ' ').split('\n'));
  const prose = markdown.replace(fenced, '');
  for (const [, code] of prose.matchAll(/`([^`]+)`/g)) out.push(code!.replace(/\s*\n\s*/g, ' '));
  return out;
}

describe('README', () => {
  it("shows only commands and flags that camrelay's --help lists", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const help = new Map<string, string>();
    const uses: { command: string; flags: string[]; text: string }[] = [];
    for (const text of snippets(readme)) {
      for (const [, command, rest] of text.matchAll(/\bcamrelay ([a-z][a-z-]*)([^|&;#]*)/g)) {
        uses.push({
          command: command!,
          flags: [...rest!.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/g)].map((m) => m[1]!),
          text,
        });
      }
    }
    assert.ok(uses.length > 10, 'the README shows commands');
    const commands = runCamrelay(['--help']).stdout;
    for (const { command, flags, text } of uses) {
      // "camrelay check reports…" in prose is not a command line: only known commands count.
      if (!new RegExp(`^  ${command}\\b`, 'm').test(commands)) continue;
      if (!help.has(command)) help.set(command, runCamrelay([command, '--help']).stdout);
      for (const flag of flags) {
        assert.match(help.get(command)!, new RegExp(`\\s${flag}\\b`), `camrelay ${command} has no ${flag}: ${text}`);
      }
    }
  });
});
