import { useEffect, useMemo, useState } from 'preact/hooks';
import { FOLDERS } from '../backend/types';
import { I18n, translator, useI18n } from '../i18n';
import { type Inbox, type InboxState, useInbox } from '../state/inbox';
import { actionFor } from '../shortcuts';
import { errorText, InboxContext, useInboxController } from './common';
import { ConversationPane } from './ConversationPane';
import { DetailsPanel } from './Details';
import { Dialogs } from './Dialogs';
import { AlertIcon, XIcon } from './icons';
import { ListPane } from './ListPane';
import { Sidebar } from './Sidebar';
import { SignIn } from './SignIn';

export function App({ inbox }: { inbox: Inbox }) {
  const s = useInbox(inbox);
  const i18n = useMemo(() => translator(s.lang), [s.lang]);
  useEffect(() => {
    document.documentElement.lang = s.lang;
  }, [s.lang]);
  return (
    <I18n.Provider value={i18n}>
      <InboxContext.Provider value={inbox}>
        {!s.booted ? (
          <main class="splash" aria-busy="true">
            <span class="brand-mark" aria-hidden="true">F</span>
          </main>
        ) : s.session?.signed_in ? (
          <Shell s={s} />
        ) : (
          <SignIn serverUrl={s.session?.server_url ?? null} />
        )}
        <Toast s={s} />
      </InboxContext.Provider>
    </I18n.Provider>
  );
}

function isTextTarget(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  if (!e || !e.tagName) return false;
  const tag = e.tagName.toUpperCase();
  return tag === 'TEXTAREA' || tag === 'SELECT' || e.isContentEditable || (tag === 'INPUT' && (e as HTMLInputElement).type !== 'checkbox' && (e as HTMLInputElement).type !== 'radio');
}

function Shell({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const { t } = useI18n();

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // The set-up is a form: the inbox's single-key shortcuts would fight its fields.
      if (inbox.state.view === 'setup') return;
      const inText = isTextTarget(e.target);
      const action = actionFor(e, inText, inbox.state.singleKeyShortcuts);
      if (!action) return;
      const st = inbox.state;
      if (st.dialog) {
        if (action === 'escape') {
          e.preventDefault();
          inbox.setDialog(null);
        }
        return;
      }
      e.preventDefault();
      switch (action) {
        case 'escape':
          if (inText) (e.target as HTMLElement).blur();
          else if (st.searchHits !== null) inbox.clearSearch();
          break;
        case 'next':
          inbox.step(1);
          break;
        case 'prev':
          inbox.step(-1);
          break;
        case 'assign':
          void inbox.assign();
          break;
        case 'reassign':
          inbox.askReassign();
          break;
        case 'close':
          inbox.askClose();
          break;
        case 'reply':
          document.getElementById('composer')?.focus();
          break;
        case 'search':
          document.getElementById('search')?.focus();
          break;
        case 'details':
          inbox.toggleDetails();
          break;
        case 'help':
          inbox.setDialog({ kind: 'help' });
          break;
        case 'folder1':
        case 'folder2':
        case 'folder3':
        case 'folder4':
          void inbox.selectFolder(FOLDERS[Number(action.slice(-1)) - 1]);
          break;
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [inbox]);

  if (s.view === 'setup') {
    return (
      <div class="shell setup-view">
        <Sidebar s={s} />
        <LazySetup />
        <Dialogs s={s} />
      </div>
    );
  }
  const details = s.showDetails && s.detail;
  return (
    <div class={`shell${details ? ' with-details' : ''}`}>
      <Sidebar s={s} />
      <ListPane s={s} />
      <main class="main">
        {s.notificationsUnavailable && (
          <div class="banner" role="status">
            <AlertIcon />
            <span>{t('notifications.unavailable', { message: s.notificationsUnavailable })}</span>
            <button class="icon-btn" aria-label={t('dismiss')} onClick={() => inbox.dismissNotificationsNotice()}>
              <XIcon />
            </button>
          </div>
        )}
        <ConversationPane s={s} />
      </main>
      {details && <DetailsPanel d={s.detail!} />}
      <Dialogs s={s} />
    </div>
  );
}

type SetupModule = typeof import('../admin/Setup');

/** The set-up is loaded when an admin first opens it: operators never load its code. */
function LazySetup() {
  const inbox = useInboxController();
  const [mod, setMod] = useState<SetupModule | null>(null);
  useEffect(() => {
    let live = true;
    import('../admin/Setup').then((m) => live && setMod(m), (e) => inbox.notify(e));
    return () => {
      live = false;
    };
  }, []);
  return mod ? <mod.SetupArea inbox={inbox} /> : <section class="setup" aria-busy="true" />;
}

function Toast({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const n = s.notice;
  useEffect(() => {
    if (!n) return;
    const timer = setTimeout(() => inbox.dismissNotice(), 8000);
    return () => clearTimeout(timer);
  }, [n?.id]);
  if (!n) return null;
  const text =
    n.error.code === 'session_ended' ? i18n.t('session.ended', { message: n.error.message }) : errorText(i18n, n.error);
  return (
    <div class="toast" role="alert" data-code={n.error.code}>
      <AlertIcon />
      <span>{text}</span>
      <button class="icon-btn" aria-label={i18n.t('dismiss')} onClick={() => inbox.dismissNotice()}>
        <XIcon />
      </button>
    </div>
  );
}
