import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web console's build: web/ → web/dist/, served at `/` by the API handler (lambdas/handlers/http/webConsole.ts)
 * locally and, copied into the API function's bundle, on AWS. Relative asset URLs, no inlined assets and no
 * module-preload polyfill, so the page runs under a CSP of `script-src 'self'` with nothing inline.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
