// The import boundaries between processes (eslint.config.js, README "Architecture"): each rule
// reports a deliberately wrong import and lets a right one through.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root, overrideConfigFile: join(root, 'eslint.config.js') });

/** The no-restricted-imports messages for `code` as if it were the file `path` (relative to the root). */
async function restricted(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: Array<{ file: string; wrong: string[]; right: string[] }> = [
  {
    file: 'src-renderer/src/components/Probe.tsx',
    wrong: ['../../../src-main/core/paths', '../../../src-main/engine/native.js', '../../../src-main/core/store/index.js', '../../../src-preload/bridge'],
    right: ['../../../src-shared/contract', '../../../src-shared/api', '../lib/cn', 'react'],
  },
  {
    file: 'src-preload/probe.ts',
    wrong: ['../src-main/core/router.js', '../src-main/web/static.js', '../src-renderer/src/lib/qins.js'],
    right: ['../src-shared/contract.js', '../src-shared/api.js', 'electron'],
  },
  {
    file: 'src-main/core/probe.ts',
    wrong: ['../web/server.js', '../electron/main.js', '../cli/output.js', 'electron', '../../src-preload/bridge.js', '../../src-renderer/src/lib/cn.js'],
    right: ['../../src-shared/contract.js', '../engine/native.js', './paths.js', 'node:fs'],
  },
  {
    file: 'src-main/core/store/probe.ts',
    wrong: ['../../web/static.js'],
    right: ['../paths.js', '../../../src-shared/records.js'],
  },
  {
    file: 'src-main/engine/convert/probe.ts',
    wrong: ['../../core/paths.js', '../../web/server.js', '../../electron/ipc.js', '../../cli/output.js', 'electron'],
    right: ['../format/qins-format.js', '../native.js', '../../../src-shared/engine-protocol.js', 'node:path'],
  },
  {
    file: 'src-main/engine/bench.ts',
    wrong: ['../bench/suite.js'],
    right: ['./bound.js'],
  },
  {
    file: 'src-main/engine/probe.ts',
    wrong: ['../core/router.js'],
    right: ['./convert/index.js', '../../src-shared/codecs.js'],
  },
  {
    file: 'src-main/electron/probe.ts',
    wrong: ['../cli/output.js', '../bench/suite.js', '../../src-preload/bridge.js'],
    right: ['../core/app-core.js', '../web/server.js', '../engine/native.js', 'electron'],
  },
  {
    file: 'src-main/web/probe.ts',
    wrong: ['../electron/protocol.js', '../cli/output.js', '../bench/suite.js', 'electron'],
    right: ['../core/app-core.js', './static.js', 'ws'],
  },
  {
    file: 'src-main/cli/commands/probe.ts',
    wrong: ['../../electron/main.js', 'electron'],
    right: ['../../core/headless.js', '../../web/server.js', '../../engine/native.js', '../../bench/suite.js'],
  },
  {
    file: 'src-main/bench/probe.ts',
    wrong: ['../web/server.js', '../cli/output.js', '../electron/ipc.js'],
    right: ['../core/paths.js', '../engine/bound.js'],
  },
  {
    file: 'src-shared/probe.ts',
    wrong: ['node:fs', 'path', 'electron', '../src-main/core/paths.js', '../src-preload/bridge.js', '../src-renderer/src/lib/cn.js'],
    right: ['./contract.js', 'zod'],
  },
];

describe('process boundaries (eslint no-restricted-imports)', () => {
  for (const { file, wrong, right } of cases) {
    for (const spec of wrong)
      it(`${file} may not import ${spec}`, async () => {
        expect(await restricted(file, `import '${spec}';\n`)).toHaveLength(1);
      });
    it(`${file} may import ${right.join(', ')}`, async () => {
      expect(await restricted(file, right.map((s) => `import '${s}';\n`).join(''))).toEqual([]);
    });
  }
});
