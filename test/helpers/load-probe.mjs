// Loads the modules named on the command line and prints, as JSON, the files they read or
// tested (beyond loading code) and whether they changed the environment, while loading.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const calls = [];
for (const name of ['readFileSync', 'existsSync', 'statSync', 'readdirSync', 'lstatSync']) {
  const original = fs[name];
  fs[name] = (...args) => {
    // Only calls made by the project's own code: the TypeScript loader reads its cache and checks
    // the project folder itself on newer Node versions, with none of our files on the stack.
    if (/\/src\/[^\s():]+\.ts/.test(new Error().stack ?? '')) calls.push(`${name} ${String(args[0])}`);
    return original(...args);
  };
}
syncBuiltinESMExports();
const env = JSON.stringify(process.env);
for (const m of process.argv.slice(2)) await import(m);
console.log(
  JSON.stringify({
    calls: calls.filter((c) => !c.includes('/node_modules/') && !/\.(ts|js|mjs|cjs)$/.test(c)),
    envChanged: JSON.stringify(process.env) !== env,
  }),
);
