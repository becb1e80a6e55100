// The live chat set-up (admins only): playbooks and operator accounts. Shown instead of the
// conversation list and pane; the sidebar stays.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { PlaybookView } from '../backend/types';
import { errorText } from '../components/common';
import { Modal } from '../components/Dialogs';
import { AlertIcon, XIcon } from '../components/icons';
import { type MessageKey, useI18n } from '../i18n';
import type { Inbox } from '../state/inbox';
import { Editor } from './Editor';
import { Operators } from './Operators';
import { Tabs } from './Tabs';
import type { Lang, Playbook } from './playbook';
import { BLANK, draftOwner, Setup, type SetupState, useSetup } from './setup';

export function SetupArea({ inbox }: { inbox: Inbox }) {
  const setup = useMemo(() => new Setup(inbox.backend, draftOwner(inbox.state.session)), [inbox]);
  const s = useSetup(setup);
  const i18n = useI18n();
  const { t } = i18n;
  useEffect(() => {
    void setup.load();
    inbox.leaveGuard = (go) => setup.guardLeave(go);
    return () => {
      inbox.leaveGuard = null;
    };
  }, [setup]);
  return (
    <section class="setup" aria-label={t('setup.title')}>
      <header class="setup-head">
        <h1>{t('setup.title')}</h1>
        <Tabs
          tabs={['playbooks', 'operators'] as const}
          active={s.tab}
          attribute="tab"
          label={(tab) => t(`setup.tab.${tab}`)}
          onSelect={(tab) => setup.setTab(tab)}
        />
      </header>
      {s.error && (
        <div class="banner banner-error" role="alert" data-error={s.error.code}>
          <AlertIcon />
          <span>{errorText(i18n, s.error)}</span>
          <button class="icon-btn" aria-label={t('dismiss')} onClick={() => setup.dismissError()}>
            <XIcon />
          </button>
        </div>
      )}
      <div class="setup-body">
        {s.tab === 'operators' ? (
          <Operators setup={setup} s={s} meId={inbox.state.session?.operator?.id} />
        ) : s.editor ? (
          <Editor setup={setup} s={s} ed={s.editor} />
        ) : (
          <PlaybookList setup={setup} s={s} />
        )}
      </div>
      {s.leaving && <LeaveDialog setup={setup} />}
    </section>
  );
}

function PlaybookList({ setup, s }: { setup: Setup; s: SetupState }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [template, setTemplate] = useState('chat_with_your_leads');
  const [lang, setLang] = useState<Lang>('en');
  if (s.playbooks === null) {
    return <p class="muted">{s.error ? '' : t('setup.loading')}</p>;
  }
  return (
    <div class="playbooks">
      <form
        class="create-playbook"
        onSubmit={(e) => {
          e.preventDefault();
          void setup.createFromTemplate(template, lang);
        }}
      >
        <h2>{t('setup.new')}</h2>
        <label>
          <span>{t('setup.template')}</span>
          <select name="template" value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
            {s.templates.map((tp) => (
              <option value={tp.key}>{i18n.has(`setup.template.${tp.key}`) ? t(`setup.template.${tp.key}` as MessageKey) : tp.name}</option>
            ))}
            <option value={BLANK}>{t('setup.template.blank')}</option>
          </select>
        </label>
        <label>
          <span>{t('setup.bot_language')}</span>
          <select name="language" value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
            <option value="en">English</option>
            <option value="de">Deutsch</option>
          </select>
        </label>
        <button class="btn btn-primary" type="submit" disabled={s.busy} data-action="create-playbook">
          {t('setup.create')}
        </button>
      </form>
      <ul class="playbook-list">
        {s.playbooks.map((p) => (
          <PlaybookRow setup={setup} p={p} />
        ))}
      </ul>
    </div>
  );
}

function PlaybookRow({ setup, p }: { setup: Setup; p: PlaybookView }) {
  const { t, tn } = useI18n();
  const d = p.definition as Playbook;
  const where = p.allowed_origins.length ? p.allowed_origins.join(', ') : t('setup.sites.none');
  return (
    <li class="playbook-row" data-playbook={p.id}>
      <PlaybookSwatch color={d.appearance.primary_color} />
      <div class="playbook-main">
        <button class="link-btn playbook-name" onClick={() => void setup.edit(p.id)}>
          {d.name}
        </button>
        <div class="muted small">
          {tn('setup.cards', Object.keys(d.cards).length)} · {t('setup.version', { n: p.version })} ·{' '}
          {d.appearance.language === 'de' ? 'Deutsch' : 'English'} · <span title={where}>{where}</span>
        </div>
      </div>
      <span class={`state-pill ${p.active ? 'on' : 'off'}`} data-state={p.active ? 'active' : 'inactive'}>
        {p.active ? t('setup.active') : t('setup.inactive')}
      </span>
      <div class="row-actions">
        <button class="btn btn-sm" onClick={() => void setup.edit(p.id)} data-action="edit">
          {t('setup.edit')}
        </button>
        <button class="btn btn-sm" onClick={() => void setup.duplicate(p)} data-action="duplicate">
          {t('setup.duplicate')}
        </button>
        <button class="btn btn-sm" onClick={() => void setup.setActive(p.id, !p.active)} data-action={p.active ? 'deactivate' : 'activate'}>
          {p.active ? t('setup.deactivate') : t('setup.activate')}
        </button>
      </div>
    </li>
  );
}

/** A colour sample drawn as SVG (no inline style: the CSP stays strict). */
export function PlaybookSwatch({ color }: { color: string }) {
  const ok = /^#[0-9a-f]{6}$/i.test(color);
  return (
    <svg width="28" height="28" viewBox="0 0 28 28" aria-hidden="true">
      <circle cx="14" cy="14" r="13" fill={ok ? color : '#cbd5e1'} />
    </svg>
  );
}

function LeaveDialog({ setup }: { setup: Setup }) {
  const { t } = useI18n();
  return (
    <Modal name="unsaved" title={t('setup.unsaved.title')} onCancel={() => void setup.answerLeave('stay')}>
      <p>{t('setup.unsaved.body')}</p>
      <div class="dialog-actions">
        <button class="btn" onClick={() => void setup.answerLeave('stay')}>
          {t('setup.unsaved.stay')}
        </button>
        <button class="btn btn-danger" data-action="discard" onClick={() => void setup.answerLeave('discard')}>
          {t('setup.unsaved.discard')}
        </button>
        <button class="btn btn-primary" data-autofocus data-action="save" onClick={() => void setup.answerLeave('save')}>
          {t('setup.unsaved.save')}
        </button>
      </div>
    </Modal>
  );
}
