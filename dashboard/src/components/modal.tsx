import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { IconX } from './icons.js';

/**
 * A modal on the native <dialog>: the browser traps focus, closes on Escape and restores focus to the opener,
 * which is the keyboard behaviour we would otherwise have to rebuild.
 */
export function Modal({
  title,
  description,
  onClose,
  children,
  footer,
  size = 'md',
  dismissible = true,
}: {
  title: string;
  description?: ComponentChildren;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  size?: 'sm' | 'md' | 'lg';
  /** False while a write is in flight or a secret is on screen unacknowledged. */
  dismissible?: boolean;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const dismissibleRef = useRef(dismissible);
  dismissibleRef.current = dismissible;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (!element.open) element.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      if (dismissibleRef.current) onCloseRef.current();
    };
    element.addEventListener('cancel', onCancel);
    return () => {
      element.removeEventListener('cancel', onCancel);
      if (element.open) element.close();
    };
  }, []);

  const titleId = `dialog-title-${title.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  return (
    <dialog ref={dialog} class={`modal modal-${size}`} aria-labelledby={titleId}>
      <div class="modal-header">
        <div>
          <h2 id={titleId} class="modal-title">
            {title}
          </h2>
          {description && <div class="modal-description">{description}</div>}
        </div>
        {dismissible && (
          <button type="button" class="btn btn-icon btn-ghost" onClick={onClose} aria-label="Close">
            <IconX />
          </button>
        )}
      </div>
      <div class="modal-body">{children}</div>
      {footer && <div class="modal-footer">{footer}</div>}
    </dialog>
  );
}
