// Whether a known_hosts text has a key for the Git host: Flux's ssh client checks the host key
// against `known_hosts` and fails the GitRepository otherwise ("knownhosts: key is unknown").
import { createHmac } from 'node:crypto';

/** The name OpenSSH looks up: `host`, or `[host]:port` for a port other than 22. */
export function knownHostsNameOf(repoUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repoUrl);
  } catch {
    return undefined;
  }
  return url.port === '' || url.port === '22' ? url.hostname : `[${url.hostname}]:${url.port}`;
}

/** One host pattern of a known_hosts line: plain (with `*`/`?` wildcards, `!` negation) or hashed `|1|salt|hash`. */
function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt = '', hash = ''] = pattern.split('|');
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(name);
}

/** True when a line of known_hosts (not revoked) names the host, as OpenSSH matches it. */
export function knownHostsCovers(knownHosts: string, name: string): boolean {
  return knownHosts.split(/\r?\n/).some((line) => {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === '@revoked' || line.trim().startsWith('#')) {
      return false;
    }
    const hosts = (fields[0]?.startsWith('@') ? fields[1] : fields[0]) ?? '';
    const patterns = hosts.split(',');
    const negated = patterns.some((pattern) => pattern.startsWith('!') && patternMatches(pattern.slice(1), name));
    return !negated && patterns.some((pattern) => !pattern.startsWith('!') && patternMatches(pattern, name));
  });
}
