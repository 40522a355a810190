import { resolve } from 'node:path';
import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Three bundles, one per process (README "Architecture"). The main bundle has several entries: the
// Electron main process, the `qins` CLI (plain Node) and the engine host (a child process).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          'electron-main': resolve(__dirname, 'src-main/electron/main.ts'),
          cli: resolve(__dirname, 'src-main/cli/index.ts'),
          'engine-host': resolve(__dirname, 'src-main/engine/host.ts'),
          // The ONNX Runtime engine (loaded on demand by engine/model.ts) and its worker thread.
          'ort-backend': resolve(__dirname, 'src-main/engine/ort-backend.ts'),
          'ort-worker': resolve(__dirname, 'src-main/engine/onnx/ort-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { bridge: resolve(__dirname, 'src-preload/bridge.ts') },
        // A sandboxed preload cannot be an ES module.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [react(), tailwindcss()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      minify: true,
      // One bundle loaded from disk (or loopback), not over a network: size warnings do not apply.
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') },
    },
  },
});
