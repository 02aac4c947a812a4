/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// No dev server is used by the app: Tauri embeds ui/dist. Relative asset paths and no inline
// scripts keep the strict CSP in src-tauri/tauri.conf.json satisfied.
export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari16",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
  },
});
