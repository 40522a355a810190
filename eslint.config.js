import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const noElectron = { name: 'electron', message: 'Electron-only code belongs in src-main/electron/.' };

/** A relative import that reaches src-main/<name>/ (from anywhere inside src-main/). */
const folder = (name) => ({
  regex: `^(\\.\\./)+(src-main/)?${name}(/|$)`,
  message: `src-main/${name}/ is off limits here (README "Architecture" shows which folder may import which).`,
});
/** A relative import that reaches a top-level src-* folder. */
const srcTree = (name, why) => ({ regex: `^(\\.{1,2}/)+${name}(/|$)`, message: `${why}.` });
/** The UI folders, which no main-process code imports. */
const uiTrees = [srcTree('src-preload', 'main-process code does not import the UI side'), srcTree('src-renderer', 'main-process code does not import the UI side')];
const nodeBuiltins = builtinModules
  .filter((m) => !m.startsWith('_'))
  .map((name) => ({ name, message: 'src-shared/ runs in every process, the renderer included: no Node modules.' }));

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', '**/.bench/**', 'native/build/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  // ─── Boundaries between processes (README "Architecture"). One no-restricted-imports entry per
  // folder: in flat config a later entry for the same rule replaces an earlier one, it does not merge.
  {
    // The desktop app's host: the core, the web host (local API) and the engine's entry points.
    files: ['src-main/electron/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [folder('cli'), folder('bench'), ...uiTrees] }] },
  },
  {
    // The `qins` CLI: a host in plain Node (Electron stays in src-main/electron).
    files: ['src-main/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [folder('electron'), ...uiTrees] }] },
  },
  {
    // The web host: plain Node, started by a host (electron/, cli/), serving the core.
    files: ['src-main/web/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [folder('electron'), folder('cli'), folder('bench'), ...uiTrees] }] },
  },
  {
    // The benchmark suite (run by `qins bench-suite`): the core's paths and the engine, no hosts.
    files: ['src-main/bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [folder('web'), folder('electron'), folder('cli'), ...uiTrees] }] },
  },
  {
    // Main-process services: plain Node, started by a host (electron/, cli/), never starting one.
    files: ['src-main/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron], patterns: [folder('web'), folder('electron'), folder('cli'), folder('bench'), ...uiTrees] }] },
  },
  {
    // The engine host (a child process) and the library it runs: no main-process services.
    files: ['src-main/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [noElectron], patterns: [folder('core'), folder('web'), folder('electron'), folder('cli'), folder('bench'), ...uiTrees] }],
    },
  },
  {
    // The UI side: the renderer and the preload bridge talk to the main process only through the
    // contract and the client built from it (src-shared/api.ts).
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            srcTree('src-main', 'the UI imports the contract from src-shared/, never main-process code'),
            srcTree('src-preload', 'the renderer imports src-shared/ only; the preload runs in its own context'),
          ],
        },
      ],
    },
  },
  {
    files: ['src-preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            srcTree('src-main', 'the preload imports the contract from src-shared/, never main-process code'),
            srcTree('src-renderer', 'the preload is imported by the renderer, not the other way round'),
          ],
        },
      ],
    },
  },
  {
    // Imported by every process: no Node, no Electron, nothing from the process folders.
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src-shared/ runs in every process, the renderer included.' }, ...nodeBuiltins],
          patterns: [
            { regex: '^node:', message: 'src-shared/ runs in every process, the renderer included: no Node modules.' },
            srcTree('src-main', 'src-shared/ imports nothing from the process folders'),
            srcTree('src-preload', 'src-shared/ imports nothing from the process folders'),
            srcTree('src-renderer', 'src-shared/ imports nothing from the process folders'),
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.cjs', 'bin/**/*.js', 'scripts/**/*.js', 'scripts/**/*.mjs', 'tests/bench/**/*.mjs', 'tests/**/*.mjs', 'native/**/*.cjs', 'native/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', URL: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
