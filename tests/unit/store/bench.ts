// Store timings on a synthetic history (not a test; run by hand):
//   node --import jiti/register tests/unit/store/bench.ts [conversations=400] [messages per conversation=50]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStore } from '../../../src-main/core/store/repository.js';
import { exportToFile, importFromFile } from '../../../src-main/core/store/transfer.js';

const [convs = 400, perConv = 50] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'qins-bench-'));
const words =
  'the harbor ship sails into evening light while gulls circle over quiet water and the crew sings old songs about Zürich 東京 café'.split(
    ' ',
  );
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)]).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const time = (f: () => void) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

const store = ChatStore.open(join(dir, 'qins.db'));
const fill = time(() => {
  for (let c = 0; c < convs; c++) {
    store.db.transaction(() => {
      const conv = store.createConversation({ title: `Conversation ${c} ${text(3)}` });
      let parent: string | null = null;
      for (let m = 0; m < perConv; m += 2) {
        const u = store.addUserMessage(conv.id, parent, text(20));
        const a = store.beginAssistantMessage(conv.id, u.id);
        store.appendContent(a, text(120));
        store.finishMessage(a, { status: 'complete' });
        parent = a;
      }
    })();
  }
});
const messages = convs * perConv;
console.log(`history: ${convs} conversations, ${messages} messages, ${(statSync(join(dir, 'qins.db')).size / 1e6).toFixed(1)} MB, filled in ${(fill / 1000).toFixed(1)} s`);

// Streaming: cost of one flush as the reply grows (FTS re-index of the whole message included).
const conv = store.createConversation({ title: 'streaming' });
const u = store.addUserMessage(conv.id, null, 'long story please');
const id = store.beginAssistantMessage(conv.id, u.id);
const flushes: Array<[number, number]> = [];
for (let i = 0; i < 400; i++) {
  store.appendContent(id, `${text(8)} `);
  const ms = time(() => store.flush(id));
  flushes.push([store.getMessage(id)?.content.length ?? 0, ms]);
}
for (const [lo, hi] of [
  [0, 2000],
  [2000, 8000],
  [8000, 20000],
]) {
  const xs = flushes.filter(([n]) => n >= (lo as number) && n < (hi as number)).map(([, ms]) => ms);
  if (xs.length) console.log(`flush, reply ${lo}-${hi} chars: median ${median(xs).toFixed(2)} ms (n=${xs.length})`);
}
store.finishMessage(id, { status: 'complete' });

for (const q of ['harbor ship', 'Zürich', 'zurich cafe', '東京', 'no-such-term-xyz', 'ship "evening light"']) {
  const xs = Array.from({ length: 7 }, () => time(() => store.search(q, { limit: 50 })));
  console.log(`search "${q}": median ${median(xs).toFixed(1)} ms, ${store.search(q, { limit: 50 }).length} hits`);
}
const list = Array.from({ length: 7 }, () => time(() => store.listConversations({ limit: 200 })));
console.log(`listConversations(200): median ${median(list).toFixed(1)} ms`);
const some = store.listConversations({ limit: 7 }).map((c) => c.id);
const threads = some.map((c) => time(() => store.getThread(c)));
console.log(`getThread (${perConv} messages): median ${median(threads).toFixed(2)} ms`);
const dels = some.slice(0, 5).map((c) => time(() => store.deleteConversation(c)));
console.log(`deleteConversation (with index optimize + WAL truncate): median ${median(dels).toFixed(0)} ms`);

const out = join(dir, 'all.json');
const exp = time(() => exportToFile(store, { file: out, format: 'json' }));
console.log(`export json: ${exp.toFixed(0)} ms, ${(statSync(out).size / 1e6).toFixed(1)} MB`);
const bak = time(() => store.backup(join(dir, 'backup.db')));
console.log(`backup (VACUUM INTO + integrity check): ${bak.toFixed(0)} ms`);
store.close();
const fresh = ChatStore.open(join(dir, 'fresh.db'));
const imp = time(() => importFromFile(fresh, out));
console.log(`import json into an empty store: ${imp.toFixed(0)} ms`);
fresh.close();
rmSync(dir, { recursive: true, force: true });
