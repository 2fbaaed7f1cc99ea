/**
 * Requests a client sends at once (push's and pull's layers go four at a time)
 * all leave before any challenge is met. Each must meet its own 401: a CI run
 * failed a push with "authentication required (HTTP 401; tried credentials of
 * alice …)" because the second bare request found Basic already switched on by
 * the first and took that as its credentials having been refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/registry/client.js';
import { startRegistry, type Registry } from '../setup/registry.js';

const missing = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

describe('an htpasswd registry asked eight things at once', () => {
  let reg: Registry;
  beforeAll(async () => (reg = await startRegistry({ auth: 'htpasswd' })));
  afterAll(() => reg.stop());

  it('every request meets the Basic challenge with the credentials, none is refused', async () => {
    const client = new RegistryClient(reg.host, reg.host, {
      credentials: { username: 'alice', password: 'alice-pw', source: 'the test' },
    });
    try {
      const sizes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => client.headBlob('conc/x', missing(i + 1))),
      );
      expect(sizes).toEqual(Array(8).fill(undefined));
      // Each bare request was challenged once, then sent again with Basic: 16 in all.
      const heads = (await reg.requests()).filter((r) => r.startsWith('HEAD '));
      expect(heads).toHaveLength(16);
    } finally {
      await client.close();
    }
  });

  it('a wrong password is still refused, once per request, naming what was tried', async () => {
    const client = new RegistryClient(reg.host, reg.host, {
      credentials: { username: 'alice', password: 'nope', source: 'the test' },
    });
    try {
      const ended = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) => client.headBlob('conc/y', missing(i + 100))),
      );
      for (const e of ended) {
        expect(e.status).toBe('rejected');
        expect(String((e as PromiseRejectedResult).reason)).toMatch(
          /authentication required \(HTTP 401; tried credentials of alice from the test\)/,
        );
      }
    } finally {
      await client.close();
    }
  });
});

describe('a loopback registry over https asked eight things at once', () => {
  let reg: Registry;
  beforeAll(async () => (reg = await startRegistry({ tls: true })));
  afterAll(() => reg.stop());

  it('is probed for its scheme once, and every request goes over https', async () => {
    const client = new RegistryClient(reg.host, reg.host);
    const before = (await reg.requests()).length; // the readiness check's
    try {
      const sizes = await Promise.all(
        Array.from({ length: 8 }, (_, i) => client.headBlob('conc/z', missing(i + 200))),
      );
      expect(sizes).toEqual(Array(8).fill(undefined));
      const log = (await reg.requests()).slice(before);
      expect(log.filter((r) => r === 'GET /v2/')).toHaveLength(1);
      expect(log.filter((r) => r.startsWith('HEAD /v2/conc/z/blobs/'))).toHaveLength(8);
    } finally {
      await client.close();
    }
  });
});
