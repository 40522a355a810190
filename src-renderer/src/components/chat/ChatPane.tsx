import { Button } from '../ui/Button';

/** The conversation area: messages above, the composer below. */
export function ChatPane() {
  return (
    <main className="flex min-w-0 flex-1 flex-col">
      <header className="flex h-14 items-center justify-between border-b border-zinc-200 px-5 dark:border-zinc-800">
        <h1 className="text-sm font-semibold">New chat</h1>
        <span className="rounded-full bg-zinc-100 px-2.5 py-1 text-xs text-zinc-700 dark:bg-zinc-800 dark:text-zinc-300">No model loaded</span>
      </header>
      <div className="flex flex-1 items-center justify-center overflow-y-auto p-8">
        <div className="max-w-md text-center">
          <h2 className="text-2xl font-semibold tracking-tight">Chat with a model on your own machine</h2>
          <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">
            Drop a HuggingFace checkpoint folder here to convert it into a compressed .qins model. Everything runs offline.
          </p>
        </div>
      </div>
      <form className="border-t border-zinc-200 p-4 dark:border-zinc-800" onSubmit={(e) => e.preventDefault()}>
        <div className="mx-auto flex max-w-3xl items-end gap-2 rounded-xl border border-zinc-300 bg-white p-2 dark:border-zinc-700 dark:bg-zinc-900">
          <textarea
            aria-label="Message"
            rows={1}
            disabled
            placeholder="Load a model to start chatting"
            className="max-h-48 flex-1 resize-none bg-transparent px-2 py-1.5 text-sm outline-none placeholder:text-zinc-500"
          />
          <Button variant="primary" type="submit" disabled>
            Send
          </Button>
        </div>
      </form>
    </main>
  );
}
