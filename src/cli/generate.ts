// `flux-sops [dir]`: its command line and --help (the options are the input declarations', in
// options.ts); the work is in src/generate/run.ts, loaded after --help.
import { resolve } from 'node:path';
import { FluxSopsError } from '../errors.js';
import type { Ports } from '../ports.js';
import { parseOrHelp } from './command-spec.js';
import { generateCommand, isInteractive } from './options.js';

export async function runGenerateCommand(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(generateCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  if (positionals.length > 1) {
    throw new FluxSopsError('usage', `Too many arguments: ${positionals.join(' ')}\nUsage: ${generateCommand.usage}`);
  }
  if (typeof values.answers === 'string') {
    values.answers = resolve(ports.cwd, values.answers);
  }
  const { runGenerate } = await import('../generate/run.js');
  await runGenerate({ dir: positionals[0], options: values, interactive: isInteractive(values, ports) }, ports);
  return 0;
}
