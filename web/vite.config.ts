import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The web console's build: web/ → web/dist/, served at `/` by the API handler (lambdas/handlers/http/webConsole.ts)
 * locally and, copied into the API function's bundle, on AWS. Relative asset URLs, no inlined assets and no
 * module-preload polyfill, so the page runs under a CSP of `script-src 'self'` with nothing inline. JSX is
 * compiled by Vite's own esbuild step (React's automatic runtime): a production build needs no React plugin,
 * whose hot reload is for a dev server we do not run.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  esbuild: { jsx: 'automatic' },
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
