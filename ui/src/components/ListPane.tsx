import { useEffect, useRef } from 'preact/hooks';
import type { ConversationRow, SearchHit } from '../backend/types';
import { useNow } from '../clock';
import { splitHighlights } from '../highlight';
import { type Translator, useI18n } from '../i18n';
import type { InboxState } from '../state/inbox';
import { formatCountdown, formatListTime, remainingMs, urgency } from '../time';
import { Avatar, useInboxController, visitorLabel } from './common';
import { ClockIcon, SearchIcon, XIcon } from './icons';

export function ListPane({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const { t } = useI18n();
  return (
    <section class="list-pane" aria-label={t('list.label')}>
      <div class="search" role="search">
        <SearchIcon />
        <input
          id="search"
          type="search"
          aria-label={t('search.label')}
          placeholder={t('search.placeholder')}
          value={s.searchQuery}
          onInput={(e) => void inbox.search(e.currentTarget.value)}
        />
        {s.searchQuery && (
          <button class="icon-btn" aria-label={t('search.clear')} title={t('search.clear')} onClick={() => inbox.clearSearch()}>
            <XIcon />
          </button>
        )}
      </div>
      {s.searchHits !== null ? <SearchResults s={s} hits={s.searchHits} /> : <FolderList s={s} />}
    </section>
  );
}

function FolderList({ s }: { s: InboxState }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t } = i18n;
  const waiting = s.folder === 'unassigned';
  const now = useNow(waiting && s.rows.length > 0);
  return (
    <>
      <header class="list-head">
        <h2>{t(`folder.${s.folder}`)}</h2>
        <p class="muted">{t(`folder.hint.${s.folder}`)}</p>
      </header>
      {s.rows.length === 0 && !s.listLoading ? (
        <p class="empty">{t(`folder.empty.${s.folder}`)}</p>
      ) : (
        <ul class="rows" data-folder={s.folder}>
          {s.rows.map((r) => (
            <Row
              key={r.id}
              row={r}
              selected={r.id === s.selectedId}
              now={now}
              offsetMs={s.offsetMs}
              i18n={i18n}
              onOpen={() => void inbox.open(r.id)}
            />
          ))}
        </ul>
      )}
      {s.nextBefore && (
        <button class="btn btn-quiet load-more" onClick={() => void inbox.loadList(true)}>
          {t('list.load_more')}
        </button>
      )}
    </>
  );
}

function Row(props: {
  row: ConversationRow;
  selected: boolean;
  now: number;
  offsetMs: number;
  i18n: Translator;
  onOpen: () => void;
}) {
  const { row, selected, now, offsetMs, i18n, onOpen } = props;
  const { t, tn } = i18n;
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView?.({ block: 'nearest' });
  }, [selected]);
  const serverNow = now + offsetMs;
  const left = row.state === 'waiting' && row.wait_deadline !== null ? remainingMs(row.wait_deadline, now, offsetMs) : null;
  const level = left === null ? null : urgency(left);
  const prefix =
    row.preview_author === 'operator' ? t('row.you') + ' ' : row.preview_author === 'bot' ? t('row.bot') + ' ' : '';
  const cls = ['row', selected && 'selected', row.unread > 0 && 'unread', level && `wait-${level}`].filter(Boolean).join(' ');
  return (
    <li>
      <button ref={ref} class={cls} aria-current={selected ? 'true' : undefined} data-id={row.id} onClick={onOpen}>
        <Avatar id={row.id} name={row.visitor_name} />
        <span class="row-main">
          <span class="row-top">
            <span class="row-name">{visitorLabel(i18n, row.visitor_name)}</span>
            {left !== null ? (
              <span class="countdown" data-countdown={row.id} title={t('row.waits', { time: formatCountdown(left) })}>
                <ClockIcon />
                {left > 0 ? formatCountdown(left) : t('row.wait_over')}
              </span>
            ) : (
              <time class="row-time">{formatListTime(row.closed_at ?? row.last_message_at, serverNow, i18n)}</time>
            )}
          </span>
          <span class="row-bottom">
            <span class="row-preview">
              {row.has_draft && <span class="draft-tag">{t('row.draft')}</span>}
              {row.preview ? prefix + row.preview : t('row.no_messages')}
            </span>
            {row.unread > 0 && (
              <span class="pill pill-unread" aria-label={tn('row.unread', row.unread)}>
                {row.unread > 99 ? '99+' : row.unread}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

function SearchResults({ s, hits }: { s: InboxState; hits: SearchHit[] }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t, tn } = i18n;
  const serverNow = Date.now() + s.offsetMs;
  return (
    <>
      <header class="list-head">
        <h2>{hits.length ? tn('search.results', hits.length) : t('search.label')}</h2>
        <p class="muted">{t('search.hint')}</p>
      </header>
      {hits.length === 0 ? (
        <p class="empty">{t('search.none', { q: s.searchQuery })}</p>
      ) : (
        <ul class="rows hits">
          {hits.map((h) => (
            <li key={`${h.conversation_id}/${h.message_id ?? ''}`}>
              <button
                class={`row hit${h.conversation_id === s.selectedId ? ' selected' : ''}`}
                onClick={() => void inbox.open(h.conversation_id)}
              >
                <span class="row-main">
                  <span class="row-top">
                    <span class="row-name">{visitorLabel(i18n, h.visitor_name)}</span>
                    <span class={`state-tag state-${h.conversation_state}`}>{stateTag(i18n, h.conversation_state)}</span>
                    <time class="row-time">{formatListTime(h.created_at, serverNow, i18n)}</time>
                  </span>
                  <span class="snippet">
                    {h.message_id === null && <span class="muted">{t('search.in_name')}: </span>}
                    {splitHighlights(h.snippet).map((seg) => (seg.hit ? <mark>{seg.text}</mark> : seg.text))}
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function stateTag(i18n: Translator, state: SearchHit['conversation_state']): string {
  switch (state) {
    case 'waiting':
      return i18n.t('folder.unassigned');
    case 'offline':
      return i18n.t('folder.offline');
    case 'closed':
      return i18n.t('folder.closed');
    case 'assigned':
      return i18n.t('folder.mine');
    default:
      return i18n.t('conv.state.bot');
  }
}
