// The EJS templates of the top-level templates/ folder, compiled once each. Every user value in
// a template goes through the quoting helpers the planner passes in (`<%- yaml(x) %>`), never `<%=`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import { packageRoot } from '../version.js';

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
