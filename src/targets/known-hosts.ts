// OpenSSH known_hosts: parsing and host-key checking. Pure: text in, verdicts out, no I/O.
//
// Line format (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
//   [@revoked|@cert-authority] patterns keytype base64-key [comment]
// - patterns: comma-separated; `*` and `?` wildcards; `!pattern` negates (a negated match rules
//   the line out even if another pattern matches); a host on a port other than 22 is written
//   `[host]:port`; hostnames compare case-insensitively.
// - a hashed entry is one field `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, where name is the
//   host as written above (`host` or `[host]:port`), lowercased.
// - `@revoked`: that key must never be accepted for the matching hosts.
// - `@cert-authority`: a CA for host certificates; hubops does not do host certificates, so these
//   lines are ignored (never count as a known key).

import { crypto } from '../util/on-first-use.js';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns (possibly with wildcards / `!`), or undefined for a hashed entry. */
  patterns?: string[];
  /** For `|1|salt|hash` entries. */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
  comment?: string;
}

export interface KnownHostsProblem {
  line: number;
  message: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostEntry[];
  /** Lines that could not be read (skipped, as OpenSSH does). */
  problems: KnownHostsProblem[];
}

export type HostKeyVerdict =
  | { verdict: 'known' }
  | { verdict: 'unknown' }
  | { verdict: 'changed'; line: number }
  | { verdict: 'revoked'; line: number };

const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64_RE.test(text)) return undefined;
  const buf = Buffer.from(text, 'base64');
  return buf.length > 0 ? buf : undefined;
}

/** The key type written inside an SSH public key blob (its first string), if readable. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Parses known_hosts text. Malformed lines are reported in `problems` and skipped. */
export function parseKnownHosts(text: string): ParsedKnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ line: lineNo, message: `unknown marker ${m}` });
        continue;
      }
    }
    const [hostField, keyType, keyText, ...rest] = fields;
    if (hostField === undefined || keyType === undefined || keyText === undefined) {
      problems.push({ line: lineNo, message: 'expected: hosts keytype key' });
      continue;
    }
    const key = decodeBase64(keyText);
    if (key === undefined) {
      problems.push({ line: lineNo, message: 'key is not valid base64' });
      continue;
    }
    const embedded = keyTypeOfBlob(key);
    if (embedded !== keyType && !(marker === 'cert-authority')) {
      problems.push({ line: lineNo, message: `key type ${keyType} does not match the key (${embedded ?? 'unreadable'})` });
      continue;
    }
    const entry: KnownHostEntry = { line: lineNo, keyType, key };
    if (marker !== undefined) entry.marker = marker;
    if (rest.length > 0) entry.comment = rest.join(' ');
    if (hostField.startsWith('|')) {
      const parts = hostField.split('|');
      // ['', '1', salt, hash]
      const salt = parts[2] === undefined ? undefined : decodeBase64(parts[2]);
      const hash = parts[3] === undefined ? undefined : decodeBase64(parts[3]);
      if (parts.length !== 4 || parts[1] !== '1' || salt === undefined || hash === undefined || hash.length !== 20) {
        problems.push({ line: lineNo, message: 'malformed hashed host entry (expected |1|salt|hash)' });
        continue;
      }
      entry.hashed = { salt, hash };
    } else {
      const patterns = hostField.split(',').filter((p) => p !== '');
      if (patterns.length === 0) {
        problems.push({ line: lineNo, message: 'no host patterns' });
        continue;
      }
      entry.patterns = patterns;
    }
    entries.push(entry);
  }
  return { entries, problems };
}

/** The name a host is written under in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = stripBrackets(host).toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `*` any run of characters, `?` exactly one; everything else literal (OpenSSH match_pattern). */
function globMatch(text: string, pattern: string): boolean {
  // Iterative glob with backtracking on the last `*`.
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP !== -1) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** 1: a positive pattern matched and no negated one; -1: a negated pattern matched; 0: no match. */
function matchPatternList(name: string, patterns: string[]): -1 | 0 | 1 {
  let got: 0 | 1 = 0;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (globMatch(name, pattern)) {
      if (negated) return -1;
      got = 1;
    }
  }
  return got;
}

/** HMAC-SHA1(salt, name) — the hash OpenSSH writes in `|1|salt|hash` entries. */
export function hashKnownHostName(name: string, salt: Buffer): Buffer {
  return crypto().createHmac('sha1', salt).update(name).digest();
}

/** A hashed known_hosts host field for `name` (as `ssh-keygen -H` writes it). */
export function hashedHostField(name: string, salt: Buffer): string {
  return `|1|${salt.toString('base64')}|${hashKnownHostName(name, salt).toString('base64')}`;
}

/** Does this entry's host field cover the host? */
export function entryMatchesHost(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (entry.hashed) {
    const mac = hashKnownHostName(name, entry.hashed.salt);
    return mac.length === entry.hashed.hash.length && crypto().timingSafeEqual(mac, entry.hashed.hash);
  }
  return matchPatternList(name, entry.patterns ?? []) === 1;
}

/**
 * The verdict for a key offered by host:port, OpenSSH's way:
 * - `revoked` if a matching `@revoked` line holds this key (whatever else the file says);
 * - `known` if a matching plain line holds this key;
 * - `changed` if matching plain lines hold a key of the same type, but never this one (the first
 *   such line is given, for the `ssh-keygen -R` hint);
 * - `unknown` otherwise (no line for the host, or only lines with other key types).
 * `@cert-authority` lines are ignored.
 */
export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
): HostKeyVerdict {
  let known = false;
  let changedLine: number | undefined;
  for (const e of entries) {
    if (e.marker === 'cert-authority') continue;
    if (!entryMatchesHost(e, host, port)) continue;
    const sameKey = e.keyType === keyType && e.key.equals(keyBlob);
    if (e.marker === 'revoked') {
      if (e.key.equals(keyBlob)) return { verdict: 'revoked', line: e.line };
      continue;
    }
    if (sameKey) known = true;
    else if (e.keyType === keyType && changedLine === undefined) changedLine = e.line;
  }
  if (known) return { verdict: 'known' };
  if (changedLine !== undefined) return { verdict: 'changed', line: changedLine };
  return { verdict: 'unknown' };
}

/** Key types the file holds (non-revoked, non-CA) for host:port, in file order. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker !== undefined) continue;
    if (entryMatchesHost(e, host, port) && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256, as `ssh-keygen -lf` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${crypto().createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The known_hosts line that would trust this key for host:port. */
export function knownHostsLine(host: string, port: number, keyType: string, keyBlob: Buffer): string {
  return `${knownHostsName(host, port)} ${keyType} ${keyBlob.toString('base64')}`;
}
