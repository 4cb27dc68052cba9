// src/env/run.ts and src/generate/generator.ts called as a command's run is: with ports. What they
// print goes to the terminal port, what they delete goes through the FleetDisk, and a generator
// run that fails removes the folders it created (and only those).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fleetDisk } from '../src/disk/index.js';
import { removeEnvironment } from '../src/env/run.js';
import { NOT_A_FLEET } from '../src/fleet/layout.js';
import { runGenerator } from '../src/generate/generator.js';
import { type Ports, processPorts } from '../src/ports.js';
import { HTTPS_ANSWERS, makeFleet } from './fixtures/secret/fleet.js';

/** The real ports, with stdout captured and the FleetDisk's removals recorded. */
function recordingPorts(): { ports: Ports; printed: string[]; removed: string[] } {
  const real = processPorts();
  const printed: string[] = [];
  const removed: string[] = [];
  const ports: Ports = {
    ...real,
    disk: (root) => {
      const disk = fleetDisk(root);
      return {
        ...disk,
        remove: (paths, folders) => {
          removed.push(...paths);
          disk.remove(paths, folders);
        },
      };
    },
    terminal: { ...real.terminal, out: (text) => printed.push(text) },
  };
  return { ports, printed, removed };
}

describe('env remove and generation with ports', () => {
  it('env remove deletes through the FleetDisk and prints through the terminal port', () => {
    const root = makeFleet(HTTPS_ANSWERS, 'env-run-');
    try {
      const { ports, printed, removed } = recordingPorts();
      removeEnvironment({ root, name: 'staging', force: false }, ports);
      assert.equal(printed.length, 1);
      assert.match(
        printed[0] as string,
        new RegExp(`^Removed the environment staging: ${removed.length} files deleted;`),
      );
      assert.ok(removed.includes('clusters/staging/tenants.yaml'), removed.join(', '));
      for (const path of removed) {
        assert.equal(existsSync(join(root, path)), false, `${path} is still there`);
      }
      assert.equal(existsSync(join(root, 'clusters', 'staging')), false, 'the emptied folder is still there');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a generator run that fails removes the folders it created, and keeps the one that was there', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'generate-run-'));
    try {
      await assert.rejects(
        runGenerator(
          { generator: 'env', root: join(parent, 'made', 'deeper'), args: ['qa'], options: {}, interactive: false },
          processPorts(),
        ),
        { name: 'FluxSopsError', kind: 'fleet', message: NOT_A_FLEET },
      );
      assert.equal(existsSync(join(parent, 'made')), false, 'a folder the failed run created is left behind');
      assert.equal(existsSync(parent), true);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
