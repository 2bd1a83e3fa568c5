import { useEffect, useState } from 'preact/hooks';
import { IconCheck, IconCopy } from './icons.js';

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API needs a secure context; http://lan-host falls back to selecting for the user.
    return false;
  }
}

/** Copies `text`; says so for two seconds, to the eye and to screen readers. */
export function CopyButton({
  text,
  label = 'Copy',
  targetId,
}: {
  text: string;
  label?: string;
  targetId?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  const onClick = async () => {
    const ok = await copyText(text);
    if (!ok && targetId) {
      const target = document.getElementById(targetId);
      if (target) window.getSelection()?.selectAllChildren(target);
    }
    setState(ok ? 'copied' : 'failed');
  };
  return (
    <button type="button" class="btn btn-secondary btn-sm copy-button" onClick={onClick}>
      {state === 'copied' ? <IconCheck /> : <IconCopy />}
      <span>{state === 'copied' ? 'Copied' : state === 'failed' ? 'Press Ctrl+C' : label}</span>
      <span class="sr-only" aria-live="polite">
        {state === 'copied'
          ? 'Copied to the clipboard'
          : state === 'failed'
            ? 'Selected; press Ctrl+C to copy'
            : ''}
      </span>
    </button>
  );
}

/** A secret or snippet in a monospace box with its copy button. */
export function CodeBlock({ id, code, label }: { id: string; code: string; label: string }) {
  return (
    <figure class="code-block">
      <figcaption class="sr-only">{label}</figcaption>
      <pre id={id}>
        <code>{code}</code>
      </pre>
      <CopyButton text={code} targetId={id} />
    </figure>
  );
}
