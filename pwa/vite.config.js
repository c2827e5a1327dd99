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
    rollupOptions: {
      input: { app: 'index.html', console: 'console.html', landing: 'landing.html' },
      // A chunk only the console uses (the manager's view and its chart library, loaded when
      // first opened) is named console-*, so the technician app's service worker, which
      // precaches no console-* asset, never carries it; shared chunks keep their own names.
      output: {
        chunkFileNames(chunk) {
          const consoleOnly = chunk.moduleIds.every((id) => /\/node_modules\/(echarts|zrender|tslib)\/|\/src\/console\//.test(id));
          return consoleOnly ? 'assets/console-[name]-[hash].js' : 'assets/[name]-[hash].js';
        },
      },
    },
    chunkSizeWarningLimit: 700,
  },
  test: { environment: 'node', include: ['test/**/*.test.js'] },
});
