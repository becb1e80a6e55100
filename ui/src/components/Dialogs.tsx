import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { OnlineOperator } from '../backend/types';
import { useI18n } from '../i18n';
import type { Dialog, InboxState } from '../state/inbox';
import { SHORTCUT_HELP } from '../shortcuts';
import { useInboxController } from './common';

export function Modal(props: { title: string; onCancel: () => void; children: ComponentChildren; wide?: boolean; name: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('[data-autofocus], input:not([disabled]), button:not([disabled])');
    first?.focus();
    return () => prev?.focus?.();
  }, []);
  return (
    <div class="overlay" onMouseDown={(e) => e.target === e.currentTarget && props.onCancel()}>
      <div
        ref={ref}
        class={`dialog${props.wide ? ' dialog-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby="dialog-title"
        data-dialog={props.name}
      >
        <h2 id="dialog-title">{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

export function Dialogs({ s }: { s: InboxState }) {
  const d: Dialog | null = s.dialog;
  if (!d) return null;
  switch (d.kind) {
    case 'close':
      return <CloseDialog id={d.conversation_id} />;
    case 'reassign':
      return <ReassignDialog id={d.conversation_id} s={s} />;
    case 'offline':
      return <OfflineDialog count={d.conversation_ids.length} s={s} />;
    case 'help':
      return <HelpDialog s={s} />;
  }
}

function CloseDialog({ id }: { id: string }) {
  const inbox = useInboxController();
  const { t } = useI18n();
  return (
    <Modal name="close" title={t('close.title')} onCancel={() => inbox.setDialog(null)}>
      <p>{t('close.body')}</p>
      <div class="dialog-actions">
        <button class="btn" onClick={() => inbox.setDialog(null)}>
          {t('cancel')}
        </button>
        <button class="btn btn-danger" data-autofocus data-action="confirm-close" onClick={() => void inbox.close(id)}>
          {t('close.confirm')}
        </button>
      </div>
    </Modal>
  );
}

function colleagues(s: InboxState, myId: string | undefined): OnlineOperator[] {
  return s.presence.operators_online.filter((o) => o.id !== myId);
}

/** Lists only operators who are online, and follows presence events while open (S11). */
function ReassignDialog({ id, s }: { id: string; s: InboxState }) {
  const inbox = useInboxController();
  const { t } = useI18n();
  const others = colleagues(s, inbox.myId);
  const [pick, setPick] = useState<string | null>(null);
  const chosen = others.some((o) => o.id === pick) ? pick : (others[0]?.id ?? null);
  return (
    <Modal name="reassign" title={t('reassign.title')} onCancel={() => inbox.setDialog(null)}>
      <p class="muted">{t('reassign.body')}</p>
      {others.length ? (
        <ul class="choices" role="radiogroup" aria-label={t('reassign.title')}>
          {others.map((o) => (
            <li>
              <label class="choice">
                <input type="radio" name="reassign-to" value={o.id} checked={o.id === chosen} onChange={() => setPick(o.id)} />
                <span class="dot dot-on" aria-hidden="true" />
                <span>{o.display_name}</span>
              </label>
            </li>
          ))}
        </ul>
      ) : (
        <p class="empty-inline">{t('reassign.none')}</p>
      )}
      <div class="dialog-actions">
        <button class="btn" onClick={() => inbox.setDialog(null)}>
          {t('cancel')}
        </button>
        <button
          class="btn btn-primary"
          data-action="confirm-reassign"
          disabled={!chosen}
          onClick={() => chosen && void inbox.reassign(id, chosen)}
        >
          {t('reassign.confirm')}
        </button>
      </div>
    </Modal>
  );
}

/** B4: going offline while holding open conversations. */
function OfflineDialog({ count, s }: { count: number; s: InboxState }) {
  const inbox = useInboxController();
  const { t, tn } = useI18n();
  const others = colleagues(s, inbox.myId);
  const [choice, setChoice] = useState<'reassign' | 'release' | null>(null);
  const [pick, setPick] = useState<string | null>(null);
  const effective = choice ?? (others.length ? 'reassign' : 'release');
  const to = others.some((o) => o.id === pick) ? pick : (others[0]?.id ?? null);
  const canGo = effective === 'release' || !!to;
  const go = () => {
    if (effective === 'release') void inbox.goOfflineWith({ action: 'release' });
    else if (to) void inbox.goOfflineWith({ action: 'reassign', operator_id: to });
  };
  return (
    <Modal name="offline" title={tn('offline.title', count)} onCancel={() => inbox.setDialog(null)} wide>
      <p>{t('offline.body')}</p>
      <div class="choices" role="radiogroup">
        <label class={`choice choice-block${others.length ? '' : ' disabled'}`}>
          <input
            type="radio"
            name="offline-choice"
            value="reassign"
            disabled={!others.length}
            checked={effective === 'reassign'}
            onChange={() => setChoice('reassign')}
          />
          <span class="choice-text">
            <strong>{t('offline.hand_to')}</strong>
            {others.length ? (
              <select
                aria-label={t('offline.pick')}
                value={to ?? ''}
                disabled={effective !== 'reassign'}
                onChange={(e) => setPick(e.currentTarget.value)}
              >
                {others.map((o) => (
                  <option value={o.id}>{o.display_name}</option>
                ))}
              </select>
            ) : (
              <small class="muted">{t('offline.nobody')}</small>
            )}
          </span>
        </label>
        <label class="choice choice-block">
          <input
            type="radio"
            name="offline-choice"
            value="release"
            checked={effective === 'release'}
            onChange={() => setChoice('release')}
          />
          <span class="choice-text">
            <strong>{t('offline.release')}</strong>
            <small class="muted">{t('offline.release_hint')}</small>
          </span>
        </label>
      </div>
      <div class="dialog-actions">
        <button class="btn" data-autofocus data-action="stay-online" onClick={() => inbox.setDialog(null)}>
          {t('offline.stay')}
        </button>
        <button class="btn btn-primary" data-action="go-offline" disabled={!canGo} onClick={go}>
          {t('offline.go')}
        </button>
      </div>
    </Modal>
  );
}

function HelpDialog({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const { t } = useI18n();
  return (
    <Modal name="help" title={t('help.title')} onCancel={() => inbox.setDialog(null)} wide>
      <table class="shortcuts">
        <tbody>
          {SHORTCUT_HELP.map((h) => (
            <tr class={h.single && !s.singleKeyShortcuts ? 'off' : ''}>
              <td>
                {h.keys.map((k) => (k === '–' ? <span class="muted"> – </span> : <kbd>{k}</kbd>))}
              </td>
              <td>{t(h.label)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <label class="check">
        <input
          type="checkbox"
          checked={s.singleKeyShortcuts}
          onChange={(e) => inbox.setSingleKeyShortcuts(e.currentTarget.checked)}
        />
        {t('help.enabled')}
      </label>
      <div class="dialog-actions">
        <button class="btn btn-primary" data-autofocus onClick={() => inbox.setDialog(null)}>
          {t('help.close')}
        </button>
      </div>
    </Modal>
  );
}
