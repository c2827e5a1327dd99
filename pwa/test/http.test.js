import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiJson, rememberHome, rememberedHome } from '../src/http.js';

afterEach(() => vi.unstubAllGlobals());

describe('the shared API client', () => {
  it('sends JSON with the bearer token and parses the one error shape', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ code: 'customer_not_verified', message: 'Verify first' }),
      { status: 422, headers: { 'Content-Type': 'application/json' } }));
    vi.stubGlobal('fetch', fetch);
    const r = await apiJson('/api/v1/x', { method: 'POST', token: 'tok', body: { a: 1 } });
    expect(r).toEqual({ ok: false, status: 422, body: { code: 'customer_not_verified', message: 'Verify first' } });
    const [, init] = fetch.mock.calls[0];
    expect(init.headers.Authorization).toBe('Bearer tok');
    expect(init.body).toBe('{"a":1}');
  });

  it('answers a network failure as status 0 instead of throwing', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    expect(await apiJson('/api/v1/x')).toEqual({ ok: false, status: 0, body: null });
  });

  it('remembers where each role works; the technician app is the default', () => {
    const items = new Map();
    vi.stubGlobal('localStorage', { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v) });
    expect(rememberedHome()).toBe('/app/');
    rememberHome('dispatcher');
    expect(rememberedHome()).toBe('/console/');
    rememberHome('technician');
    expect(rememberedHome()).toBe('/app/');
  });
});
