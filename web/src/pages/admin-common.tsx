// Pieces the admin pages share: a confirm dialog, an action runner (busy flag + toast), a secret box.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import { useSession } from '../session';
import { Button, CopyButton, Modal } from '../ui';
import './admin.css';

interface ConfirmRequest {
  title: string;
  body: ComponentChildren;
  action: string;
  resolve: (ok: boolean) => void;
}

/** `ask()` opens a modal and resolves true when the user confirms; render `dialog` somewhere on the page. */
export function useConfirm() {
  const [req, setReq] = useState<ConfirmRequest | null>(null);
  const close = (ok: boolean) => {
    req?.resolve(ok);
    setReq(null);
  };
  const ask = (title: string, body: ComponentChildren, action = 'Confirm') =>
    new Promise<boolean>((resolve) => setReq({ title, body, action, resolve }));
  const dialog = (
    <Modal title={req?.title ?? ''} open={req !== null} onClose={() => close(false)}>
      <div class="stack">
        <div>{req?.body}</div>
        <div class="btn-row end">
          <Button onClick={() => close(false)}>Cancel</Button>
          <Button kind="danger" data-testid="confirm" onClick={() => close(true)}>
            {req?.action}
          </Button>
        </div>
      </div>
    </Modal>
  );
  return { ask, dialog };
}

/** Text of an error for a person: the API's message, or the thrown one. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.message || err.code;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs API actions one at a time: `busy` names the running one (for the button's busy state), a toast says
 * how it went. Resolves to the action's result, or undefined when it failed.
 */
export function useAction() {
  const { toast } = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  async function run<T>(name: string, fn: () => Promise<T>, done?: string | ((r: T) => string)) {
    setBusy(name);
    try {
      const r = await fn();
      if (done) toast(typeof done === 'function' ? done(r) : done);
      return r;
    } catch (err) {
      toast(errorText(err), 'error');
      return undefined;
    } finally {
      setBusy(null);
    }
  }
  return { busy, run };
}

/** A secret (or one-time URL) shown as text with a copy button. */
export function SecretBox(props: { value: string; testid?: string }) {
  return (
    <div class="secret secret-once">
      <code data-testid={props.testid}>{props.value}</code>
      <CopyButton text={props.value} />
    </div>
  );
}

/** A modal that shows a secret once. */
export function OnceModal(props: {
  title: string;
  value: string | null;
  testid?: string;
  note?: ComponentChildren;
  onClose: () => void;
}) {
  return (
    <Modal title={props.title} open={props.value !== null} onClose={props.onClose}>
      <div class="stack">
        <p class="warn-note">
          <strong>Copy it now:</strong> you won't see it again.
        </p>
        {props.value !== null && <SecretBox value={props.value} testid={props.testid} />}
        {props.note}
        <div class="btn-row end">
          <Button kind="primary" onClick={props.onClose}>
            Done
          </Button>
        </div>
      </div>
    </Modal>
  );
}

export function input(e: Event): string {
  return (e.target as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement).value;
}
