import { type ComponentChildren, createContext } from 'preact';
import { useCallback, useContext, useState } from 'preact/hooks';
import { IconCheck, IconX } from './icons.js';

export interface ToastInput {
  message: string;
  tone?: 'success' | 'error' | 'info';
  action?: { label: string; run: () => void };
}

interface Toast extends ToastInput {
  id: number;
}

const ToastContext = createContext<(toast: ToastInput) => void>(() => {});

export function useToast(): (toast: ToastInput) => void {
  return useContext(ToastContext);
}

let nextId = 1;

/** Confirmations after a write ("Key revoked", with Undo where there is one), in a polite live region. */
export function ToastProvider({ children }: { children: ComponentChildren }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((list) => list.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (input: ToastInput) => {
      const id = nextId++;
      setToasts((list) => [...list.slice(-2), { ...input, id }]);
      setTimeout(() => dismiss(id), input.action ? 10_000 : 5000);
    },
    [dismiss],
  );
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div class="toasts" aria-live="polite" aria-atomic="false">
        {toasts.map((toast) => (
          <div key={toast.id} class={`toast toast-${toast.tone ?? 'success'}`} role="status">
            {toast.tone !== 'error' && <IconCheck />}
            <span class="toast-message">{toast.message}</span>
            {toast.action && (
              <button
                type="button"
                class="btn btn-link btn-sm"
                onClick={() => {
                  toast.action?.run();
                  dismiss(toast.id);
                }}
              >
                {toast.action.label}
              </button>
            )}
            <button
              type="button"
              class="btn btn-icon btn-ghost btn-sm"
              onClick={() => dismiss(toast.id)}
              aria-label="Dismiss"
            >
              <IconX />
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
