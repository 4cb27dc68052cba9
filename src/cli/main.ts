#!/usr/bin/env node
// The `flux-sops` executable.
import { runCommandLine } from './run.js';

process.exitCode = await runCommandLine(process.argv.slice(2));
