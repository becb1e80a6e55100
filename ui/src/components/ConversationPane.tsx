import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ConversationDetail, Message } from '../backend/types';
import { useNow } from '../clock';
import { type Translator, useI18n } from '../i18n';
import type { InboxState } from '../state/inbox';
import { formatCountdown, formatDateTime, formatMessageTime, remainingMs, urgency } from '../time';
import { Avatar, reasonText, shortUrl, useInboxController, visitorLabel } from './common';
import { AlertIcon, ClockIcon, PanelIcon, SendIcon } from './icons';

export function ConversationPane({ s }: { s: InboxState }) {
  const { t } = useI18n();
  if (!s.selectedId) {
    return (
      <section class="conv conv-empty">
        <div class="placeholder">
          <h2>{t('conv.none')}</h2>
          <p class="muted">{t('conv.none_hint')}</p>
        </div>
      </section>
    );
  }
  if (!s.detail) {
    return (
      <section class="conv conv-empty">
        <p class="muted">{t('conv.loading')}</p>
      </section>
    );
  }
  return <Conversation s={s} d={s.detail} />;
}

function Conversation({ s, d }: { s: InboxState; d: ConversationDetail }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t } = i18n;
  const c = d.conversation;
  const can = inbox.can();
  const name = visitorLabel(i18n, c.visitor_name);
  const offline = s.sync.state === 'offline';
  const typing = s.typing?.conversation_id === c.id ? s.typing.name : null;
  return (
    <section class="conv" aria-label={name}>
      <header class="conv-head">
        <Avatar id={c.id} name={c.visitor_name} />
        <div class="conv-title">
          <h1>{name}</h1>
          <StateLine s={s} d={d} />
        </div>
        <div class="conv-actions">
          {can.assign && (
            <button
              class="btn btn-primary"
              data-action="assign"
              disabled={offline}
              title={offline ? t('error.offline') : `${t('conv.assign')} (A)`}
              onClick={() => void inbox.assign()}
            >
              {t('conv.assign')}
            </button>
          )}
          {can.reassign && (
            <button
              class="btn"
              data-action="reassign"
              disabled={offline}
              title={offline ? t('error.offline') : `${t('conv.reassign')} (Shift+R)`}
              onClick={() => inbox.askReassign()}
            >
              {t('conv.reassign')}
            </button>
          )}
          {can.close && (
            <button
              class="btn"
              data-action="close"
              disabled={offline}
              title={offline ? t('error.offline') : `${t('conv.close')} (E)`}
              onClick={() => inbox.askClose()}
            >
              {t('conv.close')}
            </button>
          )}
          <button
            class={`icon-btn${s.showDetails ? ' on' : ''}`}
            data-action="details"
            aria-pressed={s.showDetails}
            aria-label={t('conv.details')}
            title={`${t('conv.details')} (I)`}
            onClick={() => inbox.toggleDetails()}
          >
            <PanelIcon />
          </button>
        </div>
      </header>
      <MessageList d={d} s={s} i18n={i18n} />
      <div class="typing" aria-live="polite">
        {typing && (
          <>
            <span class="typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            {t('conv.typing', { name: typing })}
          </>
        )}
      </div>
      {can.reply ? (
        <Composer key={c.id} d={d} offline={offline} />
      ) : (
        <div class={`conv-note note-${c.state}`}>
          {c.state === 'closed'
            ? t('conv.closed_note')
            : c.state === 'offline'
              ? t('conv.offline_note')
              : c.state === 'waiting'
                ? t('conv.assign_note')
                : t('conv.other_note', { name: c.assignee_name ?? '' })}
        </div>
      )}
    </section>
  );
}

function StateLine({ s, d }: { s: InboxState; d: ConversationDetail }) {
  const inbox = useInboxController();
  const { t, lang } = useI18n();
  const c = d.conversation;
  const now = useNow(c.state === 'waiting');
  let text: string;
  switch (c.state) {
    case 'waiting':
      text = t('conv.state.waiting');
      break;
    case 'assigned':
      text = c.assignee_id === inbox.myId ? t('conv.state.assigned_me') : t('conv.state.assigned_other', { name: c.assignee_name ?? '' });
      break;
    case 'offline':
      text = t('conv.state.offline');
      break;
    case 'closed':
      text = t('conv.state.closed', { time: c.closed_at ? formatDateTime(c.closed_at, lang) : '' });
      break;
    default:
      text = t('conv.state.bot');
  }
  const left = c.state === 'waiting' && c.wait_deadline !== null ? remainingMs(c.wait_deadline, now, s.offsetMs) : null;
  const page = d.details.page_url;
  return (
    <p class="conv-sub">
      <span class={`state-tag state-${c.state}`}>{text}</span>
      {left !== null && (
        <span class={`countdown wait-${urgency(left)}`}>
          <ClockIcon />
          {left > 0 ? formatCountdown(left) : t('row.wait_over')}
        </span>
      )}
      {page && !s.showDetails && (
        <span class="muted conv-page" title={page}>
          {shortUrl(page)}
        </span>
      )}
    </p>
  );
}

function sameDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}

function MessageList({ d, s, i18n }: { d: ConversationDetail; s: InboxState; i18n: Translator }) {
  const inbox = useInboxController();
  const ref = useRef<HTMLDivElement>(null);
  const { t, lang } = i18n;
  const serverNow = Date.now() + s.offsetMs;
  const last = d.messages[d.messages.length - 1];
  useLayoutEffect(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [d.conversation.id, d.messages.length, last?.status]);
  const offline = s.sync.state === 'offline';
  return (
    <div class="messages" ref={ref} role="log" aria-live="polite" aria-label={t('conv.messages')} tabIndex={0}>
      {d.messages.map((m, i) => {
        const prev = d.messages[i - 1];
        const newDay = !prev || !sameDay(prev.created_at, m.created_at);
        const grouped =
          !newDay && prev && prev.author === m.author && prev.author_name === m.author_name && m.created_at - prev.created_at < 5 * 60_000;
        return (
          <Fragment key={m.id}>
            {newDay && (
              <div class="day" role="separator">
                <span>
                  {sameDay(m.created_at, serverNow)
                    ? t('conv.today')
                    : new Intl.DateTimeFormat(lang, { dateStyle: 'full' }).format(new Date(m.created_at))}
                </span>
              </div>
            )}
            <MessageItem
              m={m}
              grouped={!!grouped}
              serverNow={serverNow}
              offline={offline}
              i18n={i18n}
              onRetry={() => void inbox.retry(m.id)}
              onDiscard={() => void inbox.discard(m.id)}
            />
          </Fragment>
        );
      })}
    </div>
  );
}

function MessageItem(props: {
  m: Message;
  grouped: boolean;
  serverNow: number;
  offline: boolean;
  i18n: Translator;
  onRetry: () => void;
  onDiscard: () => void;
}) {
  const { m, grouped, serverNow, offline, i18n, onRetry, onDiscard } = props;
  const { t, lang } = i18n;
  if (m.author === 'system') {
    return (
      <div class="msg-system" data-message={m.id}>
        <span>{m.body}</span>
        <time>{formatMessageTime(m.created_at, serverNow, lang)}</time>
      </div>
    );
  }
  const who = m.author === 'bot' ? `${m.author_name}` : m.author_name;
  return (
    <div class={`msg msg-${m.author} status-${m.status}${grouped ? ' grouped' : ''}`} data-message={m.id} data-status={m.status}>
      {!grouped && (
        <div class="msg-meta">
          <span class="msg-author">{who}</span>
          {m.author === 'bot' && <span class="bot-tag">{t('author.bot')}</span>}
          <time title={formatDateTime(m.created_at, lang)}>{formatMessageTime(m.created_at, serverNow, lang)}</time>
        </div>
      )}
      <div class="bubble">{m.body}</div>
      {m.status === 'pending' && <div class="msg-status">{offline ? t('msg.queued') : t('msg.pending')}</div>}
      {m.status === 'failed' && (
        <div class="msg-failed" role="alert">
          <AlertIcon />
          <span>{t('msg.failed', { reason: m.error ? reasonText(i18n, m.error) : '' })}</span>
          <button class="link-btn" data-action="retry" onClick={onRetry}>
            {t('msg.retry')}
          </button>
          <button class="link-btn" data-action="discard" onClick={onDiscard}>
            {t('msg.discard')}
          </button>
        </div>
      )}
    </div>
  );
}

function Composer({ d, offline }: { d: ConversationDetail; offline: boolean }) {
  const inbox = useInboxController();
  const { t } = useI18n();
  const id = d.conversation.id;
  const [text, setText] = useState(() => inbox.draftFor(id));
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    setText(inbox.draftFor(id));
  }, [id, d.draft]);
  const rows = Math.min(8, Math.max(2, text.split('\n').length));
  const send = async () => {
    const body = text;
    if (!body.trim()) return;
    setText('');
    if (!(await inbox.send(body))) setText(body);
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <textarea
        id="composer"
        ref={ref}
        rows={rows}
        aria-label={t('composer.label')}
        placeholder={t('composer.placeholder')}
        value={text}
        onInput={(e) => {
          const v = e.currentTarget.value;
          setText(v);
          inbox.setDraft(id, v);
          inbox.typing();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.ctrlKey && !e.altKey && !e.metaKey) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <div class="composer-foot">
        <span class={offline ? 'hint hint-warn' : 'hint'}>{offline ? t('composer.offline') : t('composer.hint')}</span>
        <button class="btn btn-primary" type="submit" disabled={!text.trim()}>
          <SendIcon />
          {t('composer.send')}
        </button>
      </div>
    </form>
  );
}
