// A small radio group rendered as a segmented control (keyboard: arrows move, as native radios do).
export function Segmented<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: Array<{ value: T; label: string }>; onChange: (v: T) => void }) {
  return (
    <fieldset className="flex rounded-lg border border-zinc-300 p-0.5 dark:border-zinc-700">
      <legend className="sr-only">{label}</legend>
      {options.map((o) => (
        <label
          key={o.value}
          className={`flex-1 cursor-pointer rounded-md px-2 py-1 text-center text-xs font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-500 ${
            value === o.value ? 'bg-zinc-900 text-white dark:bg-zinc-100 dark:text-zinc-900' : 'text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800'
          }`}
        >
          <input type="radio" className="sr-only" name={label} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
          {o.label}
        </label>
      ))}
    </fieldset>
  );
}
