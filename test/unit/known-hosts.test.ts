import { execFileSync } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostsLine,
  knownHostsName,
  parseKnownHosts,
} from '../../src/targets/known-hosts.js';

/** An ssh-ed25519 public key blob (RFC 8709 wire format) for a fresh key. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return sshString(Buffer.from('ssh-ed25519'), raw);
}

function sshString(...parts: Buffer[]): Buffer {
  return Buffer.concat(
    parts.flatMap((p) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(p.length);
      return [len, p];
    }),
  );
}

const b64 = (b: Buffer) => b.toString('base64');
const keyA = ed25519Blob();
const keyB = ed25519Blob();
const keyC = ed25519Blob();

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${b64(salt)}|${b64(createHmac('sha1', salt).update(name).digest())}`;
}

function verdict(text: string, host: string, port: number, key: Buffer) {
  const { entries } = parseKnownHosts(text);
  return checkHostKey(entries, host, port, 'ssh-ed25519', key);
}

describe('parseKnownHosts', () => {
  it('skips comments and blank lines, keeps line numbers, reports malformed lines', () => {
    const text = [
      '# a comment',
      '',
      `host1,host2 ssh-ed25519 ${b64(keyA)} a comment here`,
      '   ',
      'garbage',
      `host3 ssh-ed25519 !!notbase64!!`,
      `host4 ssh-rsa ${b64(keyA)}`,
      `@cert-authority *.example.com ssh-ed25519 ${b64(keyB)}`,
      `@revoked host5 ssh-ed25519 ${b64(keyC)}`,
      `@bogus host6 ssh-ed25519 ${b64(keyC)}`,
    ].join('\r\n');
    const { entries, problems } = parseKnownHosts(text);
    expect(entries.map((e) => e.line)).toEqual([3, 8, 9]);
    expect(entries[0]).toMatchObject({ patterns: ['host1', 'host2'], keyType: 'ssh-ed25519', comment: 'a comment here' });
    expect(entries[0]!.key.equals(keyA)).toBe(true);
    expect(entries[1]!.marker).toBe('cert-authority');
    expect(entries[2]!.marker).toBe('revoked');
    expect(problems.map((p) => p.line)).toEqual([5, 6, 7, 10]);
  });

  it('reads the key type inside a blob', () => {
    expect(keyTypeOfBlob(keyA)).toBe('ssh-ed25519');
    expect(keyTypeOfBlob(Buffer.alloc(2))).toBeUndefined();
  });
});

describe('checkHostKey', () => {
  it('plain host on port 22', () => {
    const text = `prod-1,10.0.0.5 ssh-ed25519 ${b64(keyA)}\n`;
    expect(verdict(text, 'prod-1', 22, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'PROD-1', 22, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, '10.0.0.5', 22, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'prod-2', 22, keyA)).toEqual({ verdict: 'unknown' });
    // A plain name does not cover another port.
    expect(verdict(text, 'prod-1', 2222, keyA)).toEqual({ verdict: 'unknown' });
  });

  it('[host]:port for other ports', () => {
    const text = `[127.0.0.1]:2222 ssh-ed25519 ${b64(keyA)}\n[::1]:2200 ssh-ed25519 ${b64(keyB)}\n`;
    expect(verdict(text, '127.0.0.1', 2222, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, '127.0.0.1', 22, keyA)).toEqual({ verdict: 'unknown' });
    expect(verdict(text, '127.0.0.1', 2223, keyA)).toEqual({ verdict: 'unknown' });
    expect(verdict(text, '::1', 2200, keyB)).toEqual({ verdict: 'known' });
    expect(verdict(text, '[::1]', 2200, keyB)).toEqual({ verdict: 'known' });
    expect(knownHostsName('::1', 2200)).toBe('[::1]:2200');
    expect(knownHostsName('Host', 22)).toBe('host');
  });

  it('hashed entries (HMAC-SHA1 of the name as written)', () => {
    const text = `${hashed('[127.0.0.1]:2222')} ssh-ed25519 ${b64(keyA)}\n${hashed('prod-1')} ssh-ed25519 ${b64(keyB)}\n`;
    expect(verdict(text, '127.0.0.1', 2222, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, '127.0.0.1', 22, keyA)).toEqual({ verdict: 'unknown' });
    expect(verdict(text, 'prod-1', 22, keyB)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'prod-1', 22, keyC)).toEqual({ verdict: 'changed', line: 2 });
    expect(verdict(text, 'prod-2', 22, keyB)).toEqual({ verdict: 'unknown' });
  });

  it('hashed entries written by ssh-keygen -H', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-kh-'));
    try {
      const file = join(dir, 'known_hosts');
      writeFileSync(file, knownHostsLine('127.0.0.1', 2222, 'ssh-ed25519', keyA) + '\n');
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/^\|1\|/);
      expect(verdict(text, '127.0.0.1', 2222, keyA)).toEqual({ verdict: 'known' });
      expect(verdict(text, '127.0.0.1', 2222, keyB)).toEqual({ verdict: 'changed', line: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('wildcards * and ?', () => {
    const text = `*.prod.example.com ssh-ed25519 ${b64(keyA)}\nweb-?? ssh-ed25519 ${b64(keyB)}\n[10.0.0.*]:2222 ssh-ed25519 ${b64(keyC)}\n`;
    expect(verdict(text, 'api.prod.example.com', 22, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'a.b.prod.example.com', 22, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'prod.example.com', 22, keyA)).toEqual({ verdict: 'unknown' });
    expect(verdict(text, 'web-01', 22, keyB)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'web-1', 22, keyB)).toEqual({ verdict: 'unknown' });
    expect(verdict(text, 'web-001', 22, keyB)).toEqual({ verdict: 'unknown' });
    expect(verdict(text, '10.0.0.7', 2222, keyC)).toEqual({ verdict: 'known' });
    expect(verdict(text, '10.0.0.7', 22, keyC)).toEqual({ verdict: 'unknown' });
  });

  it('negation rules a line out even when another pattern matches', () => {
    const text = `*.example.com,!evil.example.com ssh-ed25519 ${b64(keyA)}\n`;
    expect(verdict(text, 'good.example.com', 22, keyA)).toEqual({ verdict: 'known' });
    expect(verdict(text, 'evil.example.com', 22, keyA)).toEqual({ verdict: 'unknown' });
    // A line with only negated patterns matches nothing.
    expect(verdict(`!evil ssh-ed25519 ${b64(keyA)}\n`, 'good', 22, keyA)).toEqual({ verdict: 'unknown' });
  });

  it('changed: the host is known with another key of the same type', () => {
    const text = `# header\nprod-1 ssh-ed25519 ${b64(keyA)}\n`;
    expect(verdict(text, 'prod-1', 22, keyB)).toEqual({ verdict: 'changed', line: 2 });
    // Another line holding the offered key makes it known (several keys per host are allowed).
    expect(verdict(text + `prod-1 ssh-ed25519 ${b64(keyB)}\n`, 'prod-1', 22, keyB)).toEqual({ verdict: 'known' });
  });

  it('a key of another type only is unknown, not changed', () => {
    const { entries } = parseKnownHosts(`prod-1 ssh-ed25519 ${b64(keyA)}\n`);
    const rsaLike = sshString(Buffer.from('ssh-rsa'), Buffer.from([1, 0, 1]), randomBytes(64));
    expect(checkHostKey(entries, 'prod-1', 22, 'ssh-rsa', rsaLike)).toEqual({ verdict: 'unknown' });
  });

  it('@revoked refuses the key even if another line trusts it', () => {
    const text = `prod-1 ssh-ed25519 ${b64(keyA)}\n@revoked * ssh-ed25519 ${b64(keyA)}\n`;
    expect(verdict(text, 'prod-1', 22, keyA)).toEqual({ verdict: 'revoked', line: 2 });
    // Other keys are not affected by the revocation.
    expect(verdict(text, 'prod-1', 22, keyB)).toEqual({ verdict: 'changed', line: 1 });
  });

  it('@cert-authority lines never make a key known', () => {
    const text = `@cert-authority * ssh-ed25519 ${b64(keyA)}\n`;
    expect(verdict(text, 'prod-1', 22, keyA)).toEqual({ verdict: 'unknown' });
  });
});

describe('fingerprints and lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hubops-kh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fingerprintSha256 equals what ssh-keygen -lf prints', () => {
    const keyFile = join(dir, 'k');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'test', '-f', keyFile]);
    const pub = readFileSync(`${keyFile}.pub`, 'utf8').trim().split(/\s+/);
    const blob = Buffer.from(pub[1]!, 'base64');
    const printed = execFileSync('ssh-keygen', ['-lf', `${keyFile}.pub`], { encoding: 'utf8' }).split(/\s+/)[1];
    expect(printed).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprintSha256(blob)).toBe(printed);
  });

  it('fingerprintSha256 of an RSA key equals ssh-keygen -lf too', () => {
    const keyFile = join(dir, 'r');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', keyFile]);
    const blob = Buffer.from(readFileSync(`${keyFile}.pub`, 'utf8').split(/\s+/)[1]!, 'base64');
    const printed = execFileSync('ssh-keygen', ['-lf', `${keyFile}.pub`], { encoding: 'utf8' }).split(/\s+/)[1];
    expect(fingerprintSha256(blob)).toBe(printed);
  });

  it('knownHostsLine is a line that checks as known, and ssh-keygen reads it', () => {
    const line = knownHostsLine('127.0.0.1', 2222, 'ssh-ed25519', keyA);
    expect(line).toBe(`[127.0.0.1]:2222 ssh-ed25519 ${b64(keyA)}`);
    expect(verdict(line, '127.0.0.1', 2222, keyA)).toEqual({ verdict: 'known' });
    const file = join(dir, 'kh');
    writeFileSync(file, line + '\n');
    const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', file], { encoding: 'utf8' });
    expect(found).toContain(b64(keyA));
    expect(knownHostsLine('prod-1', 22, 'ssh-ed25519', keyA)).toBe(`prod-1 ssh-ed25519 ${b64(keyA)}`);
  });
});
