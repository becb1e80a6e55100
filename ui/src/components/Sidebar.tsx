import type { JSX } from 'preact';
import { FOLDERS, type Folder } from '../backend/types';
import { LANGUAGE_NAMES, LANGUAGES, type Lang, useI18n } from '../i18n';
import type { InboxState } from '../state/inbox';
import { useInboxController } from './common';
import { ArchiveIcon, CloudOffIcon, GearIcon, InboxIcon, KeyboardIcon, MoonIcon, UserIcon } from './icons';

const FOLDER_ICONS: Record<Folder, (p: { class?: string }) => JSX.Element> = {
  unassigned: InboxIcon,
  mine: UserIcon,
  offline: MoonIcon,
  closed: ArchiveIcon,
};

export function Sidebar({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t, tn } = i18n;
  const searching = s.searchHits !== null;
  return (
    <nav class="sidebar" aria-label={t('list.label')}>
      <div class="brand">
        <span class="brand-mark" aria-hidden="true">F</span>
        <span>{t('app.name')}</span>
      </div>
      <ul class="folders">
        {FOLDERS.map((f, i) => {
          const Icon = FOLDER_ICONS[f];
          const c = s.counts[f];
          const active = !searching && s.view === 'inbox' && s.folder === f;
          // Unassigned: how many wait (the number that matters); elsewhere: unread, else total.
          const strong = f === 'unassigned' ? c.total : c.unread;
          return (
            <li>
              <button
                class={`folder${active ? ' active' : ''}`}
                aria-current={active ? 'page' : undefined}
                data-folder={f}
                title={`${t(`folder.hint.${f}`)} (${i + 1})`}
                onClick={() => inbox.showInbox(() => void inbox.selectFolder(f))}
              >
                <Icon />
                <span class="folder-name">{t(`folder.${f}`)}</span>
                {strong > 0 ? (
                  <span
                    class={`pill ${f === 'unassigned' ? 'pill-wait' : 'pill-unread'}`}
                    data-count={f}
                    aria-label={f === 'unassigned' ? String(c.total) : tn('folder.unread', c.unread)}
                  >
                    {strong}
                  </span>
                ) : (
                  f !== 'closed' && c.total > 0 && (
                    <span class="count" data-count={f}>
                      {c.total}
                    </span>
                  )
                )}
              </button>
            </li>
          );
        })}
      </ul>
      {s.session?.operator?.role === 'admin' && (
        <button
          class={`folder setup-link${s.view === 'setup' ? ' active' : ''}`}
          aria-current={s.view === 'setup' ? 'page' : undefined}
          data-view="setup"
          onClick={() => inbox.showSetup()}
        >
          <GearIcon />
          <span class="folder-name">{t('setup.open')}</span>
        </button>
      )}
      <div class="sidebar-foot">
        <SyncLine s={s} />
        <PresenceToggle s={s} />
        <div class="me">
          <div class="me-name" title={s.session?.operator?.email}>
            {s.session?.operator?.display_name}
          </div>
          <div class="me-actions">
            <select
              class="select-small"
              aria-label={t('menu.language')}
              value={i18n.lang}
              onChange={(e) => inbox.setLang(e.currentTarget.value as Lang)}
            >
              {LANGUAGES.map((l) => (
                <option value={l}>{LANGUAGE_NAMES[l]}</option>
              ))}
            </select>
            <button
              class="icon-btn"
              title={`${t('help.open')} (?)`}
              aria-label={t('help.open')}
              onClick={() => inbox.setDialog({ kind: 'help' })}
            >
              <KeyboardIcon />
            </button>
            <button class="link-btn" onClick={() => void inbox.signOut()}>
              {t('menu.sign_out')}
            </button>
          </div>
        </div>
      </div>
    </nav>
  );
}

function SyncLine({ s }: { s: InboxState }) {
  const { t, tn } = useI18n();
  const { state, detail, outbox, sales_outbox } = s.sync;
  return (
    <div class={`sync sync-${state}`} role="status" title={detail ?? undefined} data-sync={state}>
      {state === 'offline' ? <CloudOffIcon /> : <span class="dot" aria-hidden="true" />}
      <span class="sync-text">
        {t(`sync.${state}`)}
        {outbox > 0 && <span class="sync-outbox">{tn('sync.outbox', outbox)}</span>}
        {sales_outbox > 0 && <span class="sync-outbox">{tn('sync.sales_outbox', sales_outbox)}</span>}
      </span>
    </div>
  );
}

/** S7: the bottom-left control. Shows what the engine last reported, never a guess. */
function PresenceToggle({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const { t, tn } = useI18n();
  const { chose_online, online, operators_online } = s.presence;
  const label = online ? t('presence.online') : chose_online ? t('presence.reconnecting') : t('presence.offline');
  const mood = online ? 'on' : chose_online ? 'pending' : 'off';
  const holding = s.counts.mine.total;
  return (
    <button
      class={`presence presence-${mood}`}
      role="switch"
      aria-checked={chose_online}
      aria-label={t('presence.toggle')}
      data-presence={mood}
      onClick={() => void inbox.setPresence(!chose_online)}
    >
      <span class="switch" aria-hidden="true">
        <span class="knob" />
      </span>
      <span class="presence-text">
        <strong>{label}</strong>
        <small>{online ? t('presence.receiving') : t('presence.not_receiving')}</small>
        <small>
          {holding > 0 && `${tn('presence.holding', holding)} · `}
          {tn('presence.colleagues', operators_online.length)}
        </small>
      </span>
    </button>
  );
}
