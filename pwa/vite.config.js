import { defineConfig } from 'vite';

export default defineConfig({
  base: '/app/',
  build: { outDir: 'dist', target: 'es2022', assetsInlineLimit: 0, sourcemap: false },
  test: { environment: 'node', include: ['test/**/*.test.js'] },
});
