// The terminal, without Yeoman: questions on stderr (stdout carries only what a script may
// capture), masked input for values, and stdin read whole for `--password-stdin`. Nothing typed
// is echoed, kept beyond the caller's use, or written anywhere. The real side of the Terminal port.
import { createInterface } from 'node:readline/promises';
import { FluxSopsError } from './errors.js';

export const CANCELLED = 'Cancelled: nothing was written.';

/**
 * Whether a run asks questions when no option says (`--interactive`, `--no-interactive`): with a
 * terminal on stdin, outside CI. The one rule of every command and generator.
 */
export function promptsByDefault(stdinIsTerminal: boolean, env: NodeJS.ProcessEnv): boolean {
  return stdinIsTerminal && !env.CI;
}

/** Prompts as promptsByDefault says, stderr a terminal too (questions go there), unless `--no-interactive`. */
export function canPrompt(noInteractive: boolean): boolean {
  return !noInteractive && promptsByDefault(Boolean(process.stdin.isTTY), process.env) && Boolean(process.stderr.isTTY);
}

/** One visible line (a user name, a path, a yes/no). */
export async function askLine(question: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const aborted = new Promise<never>((_, reject) =>
    lines.once('SIGINT', () => reject(new FluxSopsError('cancelled', CANCELLED))),
  );
  try {
    return await Promise.race([lines.question(question), aborted]);
  } finally {
    lines.close();
  }
}

export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await askLine(`${question} [y/N] `)).trim());
}

/**
 * A value typed without echo (the terminal in raw mode; nothing is printed for each key, so
 * not even the length shows). Enter ends it; Ctrl-C cancels; Backspace and Ctrl-U edit.
 */
export function askHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      const text = chunk.toString();
      if (text.startsWith('\u001b')) {
        return; // arrow keys and other escape sequences
      }
      for (const character of text) {
        if (character === '\r' || character === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (character === '\u0003' || (character === '\u0004' && value === '')) {
          finish();
          reject(new FluxSopsError('cancelled', CANCELLED));
          return;
        }
        if (character === '\u007f' || character === '\b') {
          value = [...value].slice(0, -1).join('');
        } else if (character === '\u0015') {
          value = '';
        } else if (character >= ' ') {
          value += character;
        }
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

/** All of stdin, as bytes (`--password-stdin`, like `docker login`); with `limit`, no more than needed to exceed it. */
export async function readStdin(limit = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    chunks.push(bytes);
    length += bytes.length;
    if (length > limit) {
      break; // over the limit: the caller refuses it, without holding the rest in memory
    }
  }
  return Buffer.concat(chunks);
}
