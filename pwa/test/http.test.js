import { afterEach, describe, expect, it, vi } from 'vitest';
import { apiJson, rememberHome, rememberedHome, totalText } from '../src/http.js';

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

  it("reads a paged list's X-Pagination; a capped total reads as more than", async () => {
    const page = { total: 1000, total_pages: 100, first_page: 1, last_page: 100, page: 1, next_page: 2, total_capped: true };
    vi.stubGlobal('fetch', vi.fn(async () => new Response('[]',
      { status: 200, headers: { 'Content-Type': 'application/json', 'X-Pagination': JSON.stringify(page) } })));
    const r = await apiJson('/api/v1/customers?q=福州');
    expect(r.page).toEqual(page);
    expect(totalText(r.page)).toBe('1000+');
    expect(totalText({ total: 3, total_pages: 1 })).toBe('3');
    expect(totalText(undefined)).toBe(null);
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
