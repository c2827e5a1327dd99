// Bundle the service worker and inject the precache manifest (Workbox injectManifest).
import { build } from 'esbuild';
import { injectManifest } from 'workbox-build';
import { rmSync } from 'node:fs';

const tmp = 'dist/.sw-bundle.js';
await build({ entryPoints: ['src/sw.js'], bundle: true, format: 'iife', minify: true, target: 'es2020', outfile: tmp, define: { 'process.env.NODE_ENV': '"production"' } });
const { count, size, warnings } = await injectManifest({
  swSrc: tmp,
  swDest: 'dist/sw.js',
  globDirectory: 'dist',
  globPatterns: ['index.html', 'assets/*.{js,css}', 'manifest.webmanifest', 'icons/*.png'],
  // The office pages are not the technician's: their own chunks stay off the phone.
  globIgnores: ['assets/console-*', 'assets/landing-*'],
  modifyURLPrefix: { '': '/app/' },
  dontCacheBustURLsMatching: /^assets\//,
});
rmSync(tmp);
for (const w of warnings) console.warn(w);
console.log(`sw.js: precaches ${count} files, ${size} bytes`);
