// The EJS templates of the top-level templates/ folder, compiled once each, and the bundled
// checker the fleet carries: the package's files the planner copies from. Every user value in
// a template goes through the quoting helpers the planner passes in (`<%- yaml(x) %>`), never `<%=`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import { packageRoot } from '../version.js';
import { SHIPPED_CHECKER_FILE } from './layout.js';

const compiled = new Map<string, ejs.TemplateFunction>();

/** Renders templates/<name> with `context` as `it`. */
export function renderTemplate(name: string, context: object): string {
  let template = compiled.get(name);
  if (!template) {
    const path = join(packageRoot(), 'templates', name);
    template = ejs.compile(readFileSync(path, 'utf8'), { filename: path, strict: true, localsName: 'it' });
    compiled.set(name, template);
  }
  return template(context);
}

let shippedChecker: string | undefined;

/** The checker the package ships (dist/check.cjs, made by `npm run build`), which every fleet carries as its own. */
export function readShippedChecker(): string {
  if (shippedChecker === undefined) {
    const path = join(packageRoot(), SHIPPED_CHECKER_FILE);
    try {
      shippedChecker = readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(
        `Bug: the bundled checker ${path} cannot be read (${(error as NodeJS.ErrnoException).code}): npm run build ` +
          `makes it`,
      );
    }
  }
  return shippedChecker;
}
