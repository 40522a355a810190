// App settings: appearance, chat defaults, engine threads, the local API, data, about.
import { Check, Copy, Menu as MenuIcon, Monitor, Moon, Sun, Upload } from 'lucide-react';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { Button, IconButton } from '../components/ui/Button';
import { Segmented } from '../components/ui/Segmented';
import { Switch } from '../components/ui/Switch';
import { useTheme } from '../hooks/useTheme';
import { copyText } from '../lib/download';
import { formatBytes } from '../lib/format';
import { useApp } from '../state/app';
import { useConversations } from '../state/conversations';

function Section({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="rounded-2xl border border-zinc-200 bg-white p-5 shadow-xs dark:border-zinc-800 dark:bg-zinc-900/60">
      <h2 id={id} className="text-base font-semibold">
        {title}
      </h2>
      {description ? <p className="mt-0.5 text-sm text-zinc-600 dark:text-zinc-400">{description}</p> : null}
      <div className="mt-4 space-y-4">{children}</div>
    </section>
  );
}

function Row({ label, hint, children, htmlFor }: { label: string; hint?: ReactNode; children: ReactNode; htmlFor?: string }) {
  return (
    <div className="flex flex-col gap-2 sm:flex-row sm:items-center sm:justify-between sm:gap-6">
      <div className="min-w-0">
        <label htmlFor={htmlFor} className="text-sm font-medium">
          {label}
        </label>
        {hint ? <p className="text-xs text-zinc-600 dark:text-zinc-400">{hint}</p> : null}
      </div>
      <div className="shrink-0">{children}</div>
    </div>
  );
}

function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex items-center gap-2">
      <code className="min-w-0 flex-1 truncate rounded-md bg-zinc-100 px-2 py-1.5 font-mono text-xs dark:bg-zinc-800" aria-label={label}>
        {value}
      </code>
      <IconButton
        label={`Copy ${label.toLowerCase()}`}
        size="sm"
        onClick={async () => {
          if (await copyText(value)) {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          }
        }}
      >
        {copied ? <Check size={14} aria-hidden /> : <Copy size={14} aria-hidden />}
      </IconButton>
    </div>
  );
}

function DefaultPrompt() {
  const value = useApp((s) => s.settings?.defaultSystemPrompt ?? '');
  const [text, setText] = useState(value);
  const id = useId();
  useEffect(() => setText(value), [value]);
  return (
    <div className="space-y-1.5">
      <label htmlFor={id} className="text-sm font-medium">
        Default system prompt
      </label>
      <textarea
        id={id}
        rows={3}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => text !== value && void useApp.getState().updateSettings({ defaultSystemPrompt: text })}
        placeholder="Used by new conversations, e.g. “You are a concise assistant.”"
        className="block w-full rounded-lg border border-zinc-300 bg-white px-3 py-2 text-sm placeholder:text-zinc-500 dark:border-zinc-700 dark:bg-zinc-950"
      />
    </div>
  );
}

function Threads() {
  const threads = useApp((s) => s.settings?.threads ?? null);
  const cores = useApp((s) => s.info?.cpu.cores ?? 8);
  const id = useId();
  return (
    <Row label="Threads" hint={`Engine threads for generation (this machine has ${cores} cores). Applies to the next model load.`} htmlFor={id}>
      <select
        id={id}
        value={threads ?? ''}
        onChange={(e) => void useApp.getState().updateSettings({ threads: e.target.value ? Number(e.target.value) : null })}
        className="h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
      >
        <option value="">Automatic</option>
        {Array.from({ length: Math.max(1, cores) }, (_, i) => i + 1).map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </Row>
  );
}

const DEFAULT_CONTEXT_CHOICES = [2048, 4096, 8192, 16384, 32768, 65536, 131072];

function DefaultContext() {
  const value = useApp((s) => s.settings?.defaultContextLength ?? null);
  const id = useId();
  return (
    <Row
      label="Default context length"
      hint="For models without their own (Models page), up to each model's maximum. A longer context takes more memory; the Models page shows how much."
      htmlFor={id}
    >
      <select
        id={id}
        value={value ?? ''}
        onChange={(e) => void useApp.getState().updateSettings({ defaultContextLength: e.target.value ? Number(e.target.value) : null })}
        className="h-8 rounded-md border border-zinc-300 bg-white px-2 text-sm dark:border-zinc-700 dark:bg-zinc-900"
      >
        <option value="">Automatic (up to 4,096)</option>
        {DEFAULT_CONTEXT_CHOICES.map((n) => (
          <option key={n} value={n}>
            {n.toLocaleString('en-US')} tokens
          </option>
        ))}
      </select>
    </Row>
  );
}

function ApiPort({ disabled }: { disabled: boolean }) {
  const port = useApp((s) => s.settings?.apiPort ?? 7860);
  const [text, setText] = useState(String(port));
  const id = useId();
  useEffect(() => setText(String(port)), [port]);
  const value = Number(text);
  const valid = /^\d+$/.test(text) && value >= 1 && value <= 65535;
  const save = () => {
    if (valid && value !== port) void useApp.getState().updateSettings({ apiPort: value }).then(() => useApp.getState().loadApi());
    else if (!valid) setText(String(port));
  };
  return (
    <Row label="Port" hint={disabled ? 'Set with qins serve --port.' : 'Default 7860. If another program uses it, the API takes a free port and says so here.'} htmlFor={id}>
      <input
        id={id}
        inputMode="numeric"
        value={text}
        disabled={disabled}
        aria-invalid={!valid}
        onChange={(e) => setText(e.target.value.trim())}
        onBlur={save}
        onKeyDown={(e) => e.key === 'Enter' && save()}
        className="h-8 w-24 rounded-md border border-zinc-300 bg-white px-2 text-sm aria-invalid:border-red-500 dark:border-zinc-700 dark:bg-zinc-900"
      />
    </Row>
  );
}

function ApiSection() {
  const api = useApp((s) => s.api);
  const mode = useApp((s) => s.info?.mode);
  const web = mode === 'web';
  const [busy, setBusy] = useState(false);
  const example = api?.url && api.token ? `curl ${api.url}/models -H "Authorization: Bearer ${api.token}"` : '';
  return (
    <Section title="Local API" description="An OpenAI-compatible endpoint on 127.0.0.1 for other programs on this computer. Requests need the token.">
      <Row label="Enable the API" hint={web ? 'Always on while the app is served by qins serve.' : 'Off by default; it listens only on this computer.'}>
        <Switch label="Enable the API" checked={api?.enabled ?? false} disabled={web || !api} onChange={(v) => void useApp.getState().setApiEnabled(v)} />
      </Row>
      <ApiPort disabled={web} />
      {api?.notice ? (
        <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950/50 dark:text-amber-200">
          {api.notice}
        </p>
      ) : null}
      {api?.enabled && api.url && api.token ? (
        <div className="space-y-2">
          <CopyField label="API URL" value={api.url} />
          <CopyField label="API token" value={api.token} />
          <CopyField label="Example request" value={example} />
          <Row
            label="Token"
            hint={web ? 'Kept until you run qins serve --new-token.' : 'The same on every start. A new one locks out clients that use the old one.'}
          >
            <Button
              disabled={web || busy}
              onClick={async () => {
                setBusy(true);
                try {
                  await useApp.getState().regenerateApiToken();
                } finally {
                  setBusy(false);
                }
              }}
            >
              Regenerate token
            </Button>
          </Row>
        </div>
      ) : null}
    </Section>
  );
}

function DataSection() {
  const file = useRef<HTMLInputElement>(null);
  const count = useConversations((s) => s.list.length);
  const [busy, setBusy] = useState(false);
  const notify = useApp((s) => s.notify);
  return (
    <Section title="Conversations" description="Back up every conversation (with all branches) as one JSON file, or bring one back.">
      <div className="flex flex-wrap gap-2">
        <Button
          disabled={count === 0 || busy}
          onClick={async () => {
            try {
              const name = await useConversations.getState().exportAs('json');
              notify({ kind: 'success', title: 'Backup saved', message: name });
            } catch (e) {
              useApp.getState().notifyError(e, 'Could not back up the conversations');
            }
          }}
        >
          Back up all conversations
        </Button>
        <Button onClick={() => file.current?.click()} disabled={busy}>
          <Upload size={14} aria-hidden />
          Import conversations (JSON)
        </Button>
        <input
          ref={file}
          type="file"
          accept="application/json,.json"
          className="hidden"
          aria-label="Conversations file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (!f) return;
            setBusy(true);
            try {
              const r = await useConversations.getState().importJson(await f.text());
              notify({
                kind: 'success',
                title: `Imported ${r.imported.length} conversation${r.imported.length === 1 ? '' : 's'}`,
                message: `${r.messages} messages${r.duplicates.length ? `; ${r.duplicates.length} already here were skipped` : ''}.`,
              });
            } catch (err) {
              useApp.getState().notifyError(err, 'Could not import the file');
            } finally {
              setBusy(false);
            }
          }}
        />
      </div>
    </Section>
  );
}

function About() {
  const info = useApp((s) => s.info);
  if (!info) return null;
  const rows: Array<[string, string]> = [
    ['Version', `${info.name} ${info.version}`],
    ['Running as', info.mode === 'web' ? 'web app (qins serve)' : 'desktop app'],
    ['System', `${info.platform} ${info.arch} · ${info.cpu.model} · ${info.cpu.cores} cores · ${formatBytes(info.totalMemory)}`],
    ['Runtime', `Node ${info.versions.node}${info.versions.electron ? ` · Electron ${info.versions.electron}` : ''}`],
    ['Data folder', info.paths.data],
    ['Models folder', info.paths.models],
  ];
  return (
    <Section title="About">
      <dl className="grid gap-x-6 gap-y-2 text-sm sm:grid-cols-[10rem_1fr]">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-zinc-600 dark:text-zinc-400">{k}</dt>
            <dd className="min-w-0 font-mono text-xs leading-5 break-all">{v}</dd>
          </div>
        ))}
      </dl>
    </Section>
  );
}

export function SettingsRoute({ showSidebarToggle }: { showSidebarToggle: boolean }) {
  const [theme, setTheme] = useTheme();
  const settings = useApp((s) => s.settings);
  const update = useApp((s) => s.updateSettings);
  return (
    <main className="flex min-w-0 flex-1 flex-col" aria-label="Settings">
      <header className="flex h-14 shrink-0 items-center gap-2 border-b border-zinc-200 px-4 dark:border-zinc-800">
        {showSidebarToggle ? (
          <IconButton label="Show conversations" onClick={() => useApp.getState().setSidebarOpen(true)}>
            <MenuIcon size={18} aria-hidden />
          </IconButton>
        ) : null}
        <h1 className="text-sm font-semibold">Settings</h1>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto max-w-3xl space-y-6 p-4 sm:p-6">
          <Section title="Appearance">
            <Row label="Theme" hint="System follows your operating system.">
              <Segmented
                label="Theme"
                className="w-64"
                value={theme}
                onChange={setTheme}
                options={[
                  { value: 'light', label: 'Light', icon: <Sun size={13} aria-hidden /> },
                  { value: 'dark', label: 'Dark', icon: <Moon size={13} aria-hidden /> },
                  { value: 'system', label: 'System', icon: <Monitor size={13} aria-hidden /> },
                ]}
              />
            </Row>
          </Section>
          <Section title="Chat">
            <DefaultPrompt />
            <Row label="When the context is full" hint={settings?.contextPolicy === 'stop' ? 'Generation stops and says so.' : 'The oldest turns after the system prompt are left out.'}>
              <Segmented
                label="Context policy"
                className="w-64"
                value={settings?.contextPolicy ?? 'drop-oldest'}
                onChange={(v) => void update({ contextPolicy: v })}
                options={[
                  { value: 'drop-oldest', label: 'Drop oldest' },
                  { value: 'stop', label: 'Stop' },
                ]}
              />
            </Row>
            <Row label="Enter sends the message" hint={settings?.sendOnEnter === false ? 'Ctrl+Enter sends; Enter starts a new line.' : 'Shift+Enter starts a new line.'}>
              <Switch label="Enter sends the message" checked={settings?.sendOnEnter ?? true} onChange={(v) => void update({ sendOnEnter: v })} />
            </Row>
          </Section>
          <Section title="Engine">
            <Threads />
            <DefaultContext />
          </Section>
          <ApiSection />
          <DataSection />
          <About />
        </div>
      </div>
    </main>
  );
}
