// The playbook editor: the paths as an indented flow (readable at any size), each card
// editable in place, the server's validation shown on the card it concerns, appearance with
// a contrast check, installation — and the real widget beside it as a live preview.
import { useState } from 'preact/hooks';
import type { IpcError } from '../backend/types';
import { errorText } from '../components/common';
import { AlertIcon, CheckIcon } from '../components/icons';
import { type MessageKey, translate, useI18n } from '../i18n';
import { CardForm } from './CardForm';
import {
  type Appearance,
  CARD_KINDS,
  type CardKind,
  contrastRatio,
  type FlowRow,
  flowRows,
  ICONS,
  insertCard,
  MIN_CONTRAST,
  type Playbook,
  problemsByCard,
  type Slot,
} from './playbook';
import type { EditorState, Section, Setup, SetupState } from './setup';
import { Tabs } from './Tabs';
import { WidgetPreview } from './WidgetPreview';

export function Editor({ setup, s, ed }: { setup: Setup; s: SetupState; ed: EditorState }) {
  const i18n = useI18n();
  const { t, tn } = i18n;
  const pb = ed.draft;
  const problems = problemsByCard(ed.problems);
  const canSave = ed.dirty && !ed.saving && !ed.validating && ed.problems.length === 0;
  return (
    <div class="editor" data-editor={ed.id}>
      <div class="editor-head">
        <button class="link-btn" onClick={() => setup.closeEditor()} data-action="back">
          ← {t('setup.tab.playbooks')}
        </button>
        <input
          class="editor-name"
          name="playbook-name"
          aria-label={t('setup.name')}
          value={pb.name}
          maxLength={200}
          onInput={(e) => setup.change({ ...pb, name: e.currentTarget.value })}
        />
        <span class="muted small" data-version={ed.base.version}>
          {t('setup.version', { n: ed.base.version })}
        </span>
        <span class={`state-pill ${ed.base.active ? 'on' : 'off'}`} data-state={ed.base.active ? 'active' : 'inactive'}>
          {ed.base.active ? t('setup.active') : t('setup.inactive')}
        </span>
        <span class="grow" />
        <span class="save-state muted small" role="status" data-dirty={String(ed.dirty)}>
          {ed.saving ? t('setup.saving') : ed.dirty ? t('setup.unsaved') : t('setup.saved')}
        </span>
        {ed.dirty && (
          <button class="btn btn-sm" onClick={() => void setup.discard()} data-action="discard-changes">
            {t('setup.discard')}
          </button>
        )}
        <button class="btn btn-primary" disabled={!canSave} onClick={() => void setup.save()} data-action="save-playbook">
          {t('setup.save')}
        </button>
      </div>
      <p class="editor-note muted small">{t('setup.versions_note', { n: ed.base.version + 1 })}</p>
      {ed.restoredAt !== null && (
        <div class="banner" role="status" data-banner="restored">
          <span>{t('setup.restored', { time: new Date(ed.restoredAt).toLocaleString(i18n.lang) })}</span>
        </div>
      )}
      {ed.conflict && (
        <div class="banner banner-error" role="alert" data-banner="conflict">
          <AlertIcon />
          <span>{t('setup.conflict')}</span>
          <button class="btn btn-sm" onClick={() => void setup.discard()} data-action="load-theirs">
            {t('setup.conflict.theirs')}
          </button>
          <button class="btn btn-sm" onClick={() => void setup.saveMineAnyway()} data-action="save-mine">
            {t('setup.conflict.mine')}
          </button>
        </div>
      )}
      {ed.problems.length > 0 && (
        <div class="problems" role="alert" data-problems={ed.problems.length}>
          <strong>{tn('setup.problems', ed.problems.length)}</strong>
          <ul>
            {ed.problems.map((p) => (
              <li>
                {p.card ? (
                  <button class="link-btn" onClick={() => setup.select(p.card)} data-goto={p.card}>
                    {p.card}
                  </button>
                ) : null}{' '}
                {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <Tabs
        tabs={['flow', 'appearance', 'install'] as Section[]}
        active={ed.section}
        attribute="section"
        extraClass="section-tabs"
        label={(sec) => t(`setup.section.${sec}`)}
        onSelect={(sec) => setup.setSection(sec)}
      />
      <div class="editor-body">
        <div class="editor-main">
          {ed.section === 'flow' && <Flow setup={setup} ed={ed} problems={problems} />}
          {ed.section === 'appearance' && <AppearanceForm setup={setup} pb={pb} />}
          {ed.section === 'install' && <Install setup={setup} ed={ed} s={s} />}
        </div>
        <WidgetPreview backend={setup.backend} definition={pb} valid={ed.problems.length === 0} />
      </div>
    </div>
  );
}

function Flow({ setup, ed, problems }: { setup: Setup; ed: EditorState; problems: Map<string, string[]> }) {
  const { t } = useI18n();
  const pb = ed.draft;
  const rows = flowRows(pb);
  const insert = (slot: Slot, kind: CardKind) => {
    const r = insertCard(pb, slot, kind);
    setup.change(r.pb, r.id);
  };
  return (
    <ol class="flow" aria-label={t('setup.section.flow')}>
      {rows.map((row, i) => (
        <FlowLine key={`${i}-${row.kind === 'card' ? row.id : row.target}`} row={row} setup={setup} ed={ed} problems={problems} onInsert={insert} />
      ))}
    </ol>
  );
}

function viaText(t: (k: MessageKey, v?: Record<string, string | number>) => string, row: FlowRow): string | null {
  if (row.label !== undefined) return `“${row.label}”`;
  if (row.via?.kind === 'offline') return t('setup.via.offline');
  if (row.via?.kind === 'start') return t('setup.via.start');
  return null;
}

function FlowLine(props: {
  row: FlowRow;
  setup: Setup;
  ed: EditorState;
  problems: Map<string, string[]>;
  onInsert: (slot: Slot, kind: CardKind) => void;
}) {
  const { row, setup, ed } = props;
  const { t } = useI18n();
  const depth = `depth-${Math.min(row.depth, 8)}`;
  const via = viaText(t, row);
  const via_ = row.via;
  const inserter = via_ && (
    <select
      class="insert"
      aria-label={t('setup.insert')}
      title={t('setup.insert')}
      value=""
      data-insert={row.kind === 'card' ? row.id : row.target}
      onChange={(e) => {
        const kind = e.currentTarget.value as CardKind;
        e.currentTarget.value = '';
        if (kind) props.onInsert(via_, kind);
      }}
    >
      <option value="">+</option>
      {CARD_KINDS.map((k) => (
        <option value={k}>{t(`card.kind.${k}`)}</option>
      ))}
    </select>
  );
  if (row.kind !== 'card') {
    return (
      <li class={`flow-row flow-${row.kind} ${depth}`}>
        {via && <span class="via">{via}</span>}
        {row.kind === 'jump' ? (
          <button class="link-btn" onClick={() => setup.select(row.target)}>
            {t('setup.jump', { id: row.target })}
          </button>
        ) : (
          <span class="missing">{t('setup.missing', { id: row.target })}</span>
        )}
        {inserter}
      </li>
    );
  }
  const card = ed.draft.cards[row.id];
  const mine = props.problems.get(row.id) ?? [];
  const selected = ed.selected === row.id;
  return (
    <li
      class={`flow-row flow-card ${depth}${selected ? ' selected' : ''}${mine.length ? ' has-problem' : ''}${row.reachable ? '' : ' unreachable'}`}
      data-card={row.id}
      data-kind={card.kind}
    >
      <div class="flow-line">
        {via && <span class="via">{via}</span>}
        <button class="card-summary" aria-expanded={selected} onClick={() => setup.select(selected ? null : row.id)}>
          <span class={`kind kind-${card.kind}`}>{t(`card.kind.${card.kind}`)}</span>
          <span class="card-text">{summary(card)}</span>
          <span class="card-id muted">{row.id}</span>
        </button>
        {inserter}
      </div>
      {!row.reachable && <div class="card-note muted small">{t('setup.unreachable_note')}</div>}
      {mine.map((m) => (
        <div class="card-problem" role="note">
          <AlertIcon /> {m}
        </div>
      ))}
      {selected && <CardForm setup={setup} pb={ed.draft} id={row.id} />}
    </li>
  );
}

function summary(card: Playbook['cards'][string]): string {
  switch (card.kind) {
    case 'live_chat':
      return card.online_message;
    case 'follow_up':
      return card.title;
    case 'qualified':
    case 'disqualified':
      return card.text ?? '';
    default:
      return card.text;
  }
}

function AppearanceForm({ setup, pb }: { setup: Setup; pb: Playbook }) {
  const { t } = useI18n();
  const a = pb.appearance;
  const set = (patch: Partial<Appearance>) => setup.change({ ...pb, appearance: { ...a, ...patch } });
  const ratio = contrastRatio(a.primary_color, a.text_color);
  const letters = !(ICONS as readonly string[]).includes(a.icon);
  return (
    <div class="form appearance">
      <label>
        <span>{t('setup.bot_name')}</span>
        <input name="bot_name" value={a.bot_name} maxLength={60} onInput={(e) => set({ bot_name: e.currentTarget.value })} />
      </label>
      <div class="color-pair">
        <ColorField label={t('setup.primary_color')} name="primary_color" value={a.primary_color} onChange={(v) => set({ primary_color: v })} />
        <ColorField label={t('setup.text_color')} name="text_color" value={a.text_color} onChange={(v) => set({ text_color: v })} />
      </div>
      <p class={`contrast ${ratio !== null && ratio >= MIN_CONTRAST ? 'good' : 'bad'}`} data-contrast={ratio?.toFixed(1) ?? ''} role="status">
        {ratio === null
          ? t('setup.contrast.invalid')
          : ratio >= MIN_CONTRAST
            ? t('setup.contrast.good', { ratio: ratio.toFixed(1) })
            : t('setup.contrast.bad', { ratio: ratio.toFixed(1), min: MIN_CONTRAST })}
      </p>
      <fieldset class="icon-choice">
        <legend>{t('setup.icon')}</legend>
        {ICONS.map((icon) => (
          <label class={`chip${a.icon === icon ? ' active' : ''}`}>
            <input type="radio" name="icon" value={icon} checked={a.icon === icon} onChange={() => set({ icon })} />
            {t(`setup.icon.${icon}`)}
          </label>
        ))}
        <label class={`chip${letters ? ' active' : ''}`}>
          <input type="radio" name="icon" value="letters" checked={letters} onChange={() => set({ icon: (a.bot_name.trim()[0] ?? 'F').toUpperCase() })} />
          {t('setup.icon.letters')}
        </label>
        {letters && (
          <input
            class="letters"
            name="icon_letters"
            aria-label={t('setup.icon.letters')}
            value={a.icon}
            maxLength={2}
            onInput={(e) => set({ icon: e.currentTarget.value })}
          />
        )}
      </fieldset>
      <label>
        <span>{t('setup.bot_language')}</span>
        <select name="language" value={a.language} onChange={(e) => set({ language: e.currentTarget.value as Appearance['language'] })}>
          <option value="en">English</option>
          <option value="de">Deutsch</option>
        </select>
      </label>
      <fieldset>
        <legend>{t('setup.greeting')}</legend>
        <label class="check">
          <input
            type="checkbox"
            name="greeting_on"
            checked={!!pb.greeting}
            onChange={(e) =>
              setup.change({
                ...pb,
                // In the bot's language: visitors read it, not the admin.
                greeting: e.currentTarget.checked ? { text: translate(a.language, 'setup.greeting.default'), delay_ms: 3000 } : null,
              })
            }
          />
          {t('setup.greeting.on')}
        </label>
        {pb.greeting && (
          <>
            <label>
              <span>{t('setup.greeting.text')}</span>
              <input name="greeting_text" value={pb.greeting.text} onInput={(e) => setup.change({ ...pb, greeting: { ...pb.greeting!, text: e.currentTarget.value } })} />
            </label>
            <label>
              <span>{t('setup.greeting.delay')}</span>
              <input
                type="number"
                name="greeting_delay"
                min={0}
                max={600}
                value={Math.round(pb.greeting.delay_ms / 1000)}
                onInput={(e) => setup.change({ ...pb, greeting: { ...pb.greeting!, delay_ms: Math.max(0, Number(e.currentTarget.value) || 0) * 1000 } })}
              />
            </label>
          </>
        )}
      </fieldset>
    </div>
  );
}

function ColorField(props: { label: string; name: string; value: string; onChange: (v: string) => void }) {
  return (
    <label class="color-field">
      <span>{props.label}</span>
      <span class="color-inputs">
        <input type="color" aria-label={props.label} value={/^#[0-9a-f]{6}$/i.test(props.value) ? props.value : '#000000'} onInput={(e) => props.onChange(e.currentTarget.value)} />
        <input name={props.name} value={props.value} maxLength={7} spellcheck={false} onInput={(e) => props.onChange(e.currentTarget.value.trim())} />
      </span>
    </label>
  );
}

function Install({ setup, ed, s }: { setup: Setup; ed: EditorState; s: SetupState }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [sites, setSites] = useState(ed.base.allowed_origins.join('\n'));
  const [siteError, setSiteError] = useState<IpcError | null>(null);
  const [savedSites, setSavedSites] = useState(false);
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!ed.snippet) return;
    try {
      await navigator.clipboard.writeText(ed.snippet);
      setCopied(true);
    } catch {
      // No clipboard access: select the text so Ctrl+C copies it.
      const pre = document.getElementById('snippet');
      if (pre) window.getSelection()?.selectAllChildren(pre);
    }
  };
  return (
    <div class="form install">
      <section>
        <h3>{t('setup.install.state')}</h3>
        <p class="muted small">{ed.base.active ? t('setup.install.active_note') : t('setup.install.inactive_note')}</p>
        <button class="btn" onClick={() => void setup.setActive(ed.id, !ed.base.active)} data-action={ed.base.active ? 'deactivate' : 'activate'}>
          {ed.base.active ? t('setup.deactivate') : t('setup.activate')}
        </button>
      </section>
      <section>
        <h3>{t('setup.sites')}</h3>
        <p class="muted small">{t('setup.sites.hint')}</p>
        <textarea
          name="origins"
          rows={4}
          value={sites}
          spellcheck={false}
          placeholder="https://www.example.com"
          aria-invalid={siteError ? 'true' : undefined}
          onInput={(e) => {
            setSites(e.currentTarget.value);
            setSavedSites(false);
          }}
        />
        {siteError && (
          <p class="field-error" role="alert">
            {errorText(i18n, siteError)}
          </p>
        )}
        <button
          class="btn"
          data-action="save-sites"
          onClick={async () => {
            const list = sites.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
            const err = await setup.setOrigins(list);
            setSiteError(err);
            setSavedSites(!err);
          }}
        >
          {t('setup.sites.save')}
        </button>
        {savedSites && (
          <span class="muted small" role="status">
            <CheckIcon /> {t('setup.sites.saved')}
          </span>
        )}
      </section>
      <section>
        <h3>{t('setup.snippet')}</h3>
        <p class="muted small">{t('setup.snippet.hint')}</p>
        <pre id="snippet" class="install-snippet" tabIndex={0}>
          {ed.snippet ?? '…'}
        </pre>
        <button class="btn" onClick={() => void copy()} disabled={!ed.snippet} data-action="copy-snippet">
          {copied ? t('setup.snippet.copied') : t('setup.snippet.copy')}
        </button>
      </section>
      <section>
        <h3>{t('setup.demo')}</h3>
        <p class="muted small">{ed.base.active ? t('setup.demo.hint') : t('setup.demo.inactive')}</p>
        <button class="btn" disabled={!ed.base.active || s.busy} onClick={() => void setup.openDemo()} data-action="open-demo">
          {t('setup.demo.open')}
        </button>
      </section>
    </div>
  );
}
