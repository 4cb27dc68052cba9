// The fleet README lists the environments between two marker comments, so the `env`
// generator can refresh that list without touching anything the user wrote around it.
import { README_ENVIRONMENTS_END, README_ENVIRONMENTS_START } from './layout.js';

/**
 * Replaces the marked environments section of `readme` (markers included) with `section`, as
 * rendered by planReadmeEnvironmentsSection. Returns undefined when the markers are not there
 * exactly once each and in order: the user reworked the README, and it is theirs to update.
 */
export function replaceReadmeEnvironmentsSection(readme: string, section: string): string | undefined {
  const start = readme.indexOf(README_ENVIRONMENTS_START);
  const end = readme.indexOf(README_ENVIRONMENTS_END);
  if (
    start === -1 ||
    end < start ||
    readme.indexOf(README_ENVIRONMENTS_START, start + 1) !== -1 ||
    readme.indexOf(README_ENVIRONMENTS_END, end + 1) !== -1
  ) {
    return undefined;
  }
  const replacement = section.endsWith('\n') ? section.slice(0, -1) : section;
  return readme.slice(0, start) + replacement + readme.slice(end + README_ENVIRONMENTS_END.length);
}
