/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The Tauri shell loads ui/dist; `npm run dev` previews the screens in a browser with the
// in-memory backend. JSX is compiled for Preact (tsconfig's jsxImportSource).
export default defineConfig({
  base: './',
  clearScreen: false,
  server: { port: 5174, strictPort: true, host: '127.0.0.1' },
  build: {
    outDir: 'dist',
    target: 'es2022',
    // No inline helper script in index.html: the app runs under a strict CSP.
    modulePreload: { polyfill: false },
    sourcemap: false,
    // Two pages: the app, and the frame the playbook editor previews the website widget in.
    rollupOptions: {
      input: { main: 'index.html', 'widget-preview': 'widget-preview.html' },
    },
  },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
  },
});
