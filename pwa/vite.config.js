import { defineConfig } from 'vite';

// Three pages from one toolchain: the technician app (index.html), the office console and the
// landing page behind `/`. Their shared modules (API client, i18n, preact) become shared chunks.
export default defineConfig({
  base: '/app/',
  build: {
    outDir: 'dist',
    target: 'es2022',
    assetsInlineLimit: 0,
    sourcemap: false,
    rollupOptions: { input: { app: 'index.html', console: 'console.html', landing: 'landing.html' } },
  },
  test: { environment: 'node', include: ['test/**/*.test.js'] },
});
