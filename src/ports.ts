// What a command's run takes from the world, so that a test can stand in for any of it: the
// fleet on disk, the master keys (AWS KMS, age), the clock and the terminal. Each command's
// src/<command>/run.ts takes a Ports; the command line passes processPorts(). Loads nothing
// heavy: the key sources (and with them the AWS SDK) load when first used.
import { type FleetDisk, fleetDisk } from './disk/index.js';
import type { KeySourceFactory } from './sops/keysource.js';
import { askHidden, askLine, canPrompt, confirm, readStdin } from './terminal.js';

export interface Terminal {
  /** stdout: what a script may capture (a report, JSON, a public key). */
  out(text: string): void;
  /** stdout, as bytes: a decrypted binary value. */
  outBytes(bytes: Uint8Array): void;
  /** stderr: messages and questions. */
  err(text: string): void;
  /** Whether questions may be asked: a terminal on stdin and stderr, outside CI. */
  readonly canPrompt: boolean;
  /** Whether stdin is a terminal (what is typed there would echo: a value is asked for masked instead). */
  readonly stdinIsTerminal: boolean;
  /** The width of stdout when it is a terminal. */
  readonly columns: number | undefined;
  askLine(question: string): Promise<string>;
  /** A value typed without echo. */
  askHidden(question: string): Promise<string>;
  confirm(question: string): Promise<boolean>;
  /** All of stdin, as bytes; with `limit`, it stops once more than `limit` bytes are read. */
  readStdin(limit?: number): Promise<Buffer>;
}

export interface Ports {
  /** The folder the command was started in. */
  readonly cwd: string;
  /** The environment variables (AWS_PROFILE, SOPS_AGE_KEY_FILE, CI, …). */
  readonly env: NodeJS.ProcessEnv;
  /** The fleet at a folder. */
  disk(root: string): FleetDisk;
  /** The master-key sources of the SOPS library: AWS KMS through the SDK, age. */
  keySources(): Promise<KeySourceFactory>;
  /** Now: sops' lastmodified and created_at. */
  clock(): Date;
  readonly terminal: Terminal;
}

/** The real world: this process's folder, environment, disk, terminal and clock. */
export function processPorts(): Ports {
  return {
    cwd: process.cwd(),
    env: process.env,
    disk: (root) => fleetDisk(root),
    keySources: async () => (await import('./sops/index.js')).defaultKeySources,
    clock: () => new Date(),
    terminal: {
      out: (text) => process.stdout.write(text),
      outBytes: (bytes) => process.stdout.write(bytes),
      err: (text) => process.stderr.write(text),
      get canPrompt() {
        return canPrompt(false);
      },
      get stdinIsTerminal() {
        return Boolean(process.stdin.isTTY);
      },
      get columns() {
        return process.stdout.isTTY ? process.stdout.columns : undefined;
      },
      askLine,
      askHidden,
      confirm,
      readStdin,
    },
  };
}
