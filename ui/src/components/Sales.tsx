// The Details panel's sales part (S12, S13): the editable deal, contact and organization, and
// the leads and deals created from the conversation with their CRM status. Saving and
// creating go through the engine's outbox, so both work offline (B2).
import { useEffect, useRef, useState } from 'preact/hooks';
import type {
  ConversationDetail,
  CreatedResultView,
  SalesDetailsView,
  UnsentSales,
  UpdateDetailsRequest,
} from '../backend/types';
import { type MessageKey, type Translator, useI18n } from '../i18n';
import { formatDateTime } from '../time';
import { reasonText, useInboxController } from './common';
import { ExternalIcon, MoreIcon } from './icons';

/** Currencies offered first; any other code the details hold is offered too. */
const CURRENCIES = ['EUR', 'USD', 'GBP', 'CHF'];
/** Clicks on Create closer together than this are one click. */
const DOUBLE_CLICK_MS = 1500;

interface Form {
  value: string;
  currency: string;
  contact: string;
  emails: string;
  phones: string;
  organization: string;
  address: string;
  notes: string;
}

export function formFrom(s: SalesDetailsView): Form {
  return {
    value: s.value == null ? '' : String(s.value),
    currency: s.currency ?? 'EUR',
    contact: s.contact.name ?? '',
    emails: s.contact.emails.join(', '),
    phones: s.contact.phones.join(', '),
    organization: s.organization.name ?? '',
    address: s.organization.address ?? '',
    notes: s.notes ?? '',
  };
}

/** Whole units, with or without thousands separators ("12500", "12,500", "12.500", "12 500"). */
const WHOLE_UNITS = /^(\d+|\d{1,3}([.,'’ ]\d{3})+)$/;

/**
 * What the form asks to store, or `null` when the value is not whole units ("12.50" and
 * "1,5" are refused, not read as 1250 and 15); the engine checks everything else.
 */
export function requestFrom(f: Form): UpdateDetailsRequest | null {
  const typed = f.value.trim().replace(/\s+/g, ' ');
  if (typed && !WHOLE_UNITS.test(typed)) return null;
  const value = typed ? Number(typed.replace(/\D/g, '')) : null;
  const text = (v: string) => (v.trim() ? v.trim() : null);
  const list = (v: string, sep: RegExp) =>
    v
      .split(sep)
      .map((x) => x.trim())
      .filter(Boolean);
  return {
    value,
    currency: value == null ? null : f.currency,
    contact: { name: text(f.contact), emails: list(f.emails, /[,;\s]+/), phones: list(f.phones, /[,;]+/) },
    organization: { name: text(f.organization), address: text(f.address) },
    notes: text(f.notes),
  };
}

const same = (a: Form, b: Form) => (Object.keys(a) as (keyof Form)[]).every((k) => a[k] === b[k]);

export function SalesForm({ d }: { d: ConversationDetail }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t, lang } = i18n;
  const sales = d.details.sales;
  const base = formFrom(sales);
  const [form, setForm] = useState(base);
  const [startedFrom, setStartedFrom] = useState(base);
  const [valueError, setValueError] = useState(false);
  const [busy, setBusy] = useState(false);
  const dirty = !same(form, startedFrom);
  // Someone else's change (or my confirmed save) arrives: follow it unless I am typing.
  useEffect(() => {
    if (!dirty && !same(base, startedFrom)) {
      setForm(base);
      setStartedFrom(base);
    }
  });
  const locked = d.sales_lock !== null;
  // The latest unsent edit is what the form shows; a refused one needs an answer first.
  const edits = d.unsent_sales.filter((u) => u.action === 'details');
  const edit = edits.find((u) => u.status === 'failed') ?? edits[edits.length - 1];
  const field = (k: keyof Form) => ({
    id: `sales-${k}`,
    name: k,
    value: form[k],
    disabled: locked,
    onInput: (e: Event) => {
      setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
      if (k === 'value') setValueError(false);
    },
  });
  const currencies = CURRENCIES.includes(form.currency) ? CURRENCIES : [...CURRENCIES, form.currency];

  const save = async (e: Event) => {
    e.preventDefault();
    const request = requestFrom(form);
    if (!request) {
      setValueError(true);
      return;
    }
    setBusy(true);
    const ok = await inbox.saveDetails(request);
    setBusy(false);
    // The panel now shows the queued edit: start following it.
    if (ok) setStartedFrom(form);
  };

  return (
    <form class="sales-form" onSubmit={save} aria-label={t('details.deal')}>
      {locked && <p class="lock-note">{t(`sales.lock.${d.sales_lock}` as MessageKey)}</p>}
      <div class="crm-grid">
        <label for="sales-value">{t('sales.value')}</label>
        <div class="value-row">
          <input {...field('value')} inputMode="numeric" autocomplete="off" aria-invalid={valueError} placeholder="0" />
          <select {...field('currency')} aria-label={t('sales.currency')}>
            {currencies.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </div>
        {valueError && <p class="field-error">{t('sales.value_invalid')}</p>}
        <label for="sales-contact">{t('sales.contact')}</label>
        <input {...field('contact')} autocomplete="off" />
        <label for="sales-emails">{t('sales.emails')}</label>
        <input {...field('emails')} autocomplete="off" title={t('sales.list_hint')} />
        <label for="sales-phones">{t('sales.phones')}</label>
        <input {...field('phones')} autocomplete="off" title={t('sales.list_hint')} />
        <label for="sales-organization">{t('sales.organization')}</label>
        <input {...field('organization')} autocomplete="off" />
        <label for="sales-address">{t('sales.address')}</label>
        <input {...field('address')} autocomplete="off" />
        <label for="sales-notes">{t('sales.notes')}</label>
        <textarea {...field('notes')} rows={3} />
      </div>
      {!locked && dirty && (
        <div class="sales-actions">
          <button type="submit" class="btn btn-primary btn-sm" disabled={busy} data-action="save-details">
            {t('sales.save')}
          </button>
          <button
            type="button"
            class="link-btn"
            data-action="undo-details"
            onClick={() => {
              setForm(startedFrom);
              setValueError(false);
            }}
          >
            {t('sales.undo')}
          </button>
        </div>
      )}
      <SalesStatus i18n={i18n} lang={lang} sales={sales} edit={edit} />
    </form>
  );
}

function SalesStatus(p: { i18n: Translator; lang: string; sales: SalesDetailsView; edit?: UnsentSales }) {
  const inbox = useInboxController();
  const { t } = p.i18n;
  if (p.edit?.status === 'failed') {
    const id = p.edit.id;
    return (
      <p class="sales-status failed" role="status" data-sales-status="failed">
        {t('sales.not_saved', { reason: p.edit.error ? reasonText(p.i18n, p.edit.error) : '' })}{' '}
        <button type="button" class="link-btn" data-action="retry" onClick={() => inbox.retrySales(id)}>
          {t('result.retry')}
        </button>{' '}
        <button type="button" class="link-btn" data-action="discard" onClick={() => inbox.discardSales(id)}>
          {t('result.discard')}
        </button>
      </p>
    );
  }
  if (p.edit) {
    return (
      <p class="sales-status queued" role="status" data-sales-status="queued">
        {t('sales.queued')}
      </p>
    );
  }
  if (p.sales.updated_at != null) {
    return (
      <p class="sales-status">
        {t('sales.changed_by', {
          name: p.sales.updated_by_name ?? '—',
          time: formatDateTime(p.sales.updated_at, p.lang),
        })}
      </p>
    );
  }
  const captured = p.sales.contact.name || p.sales.contact.emails.length || p.sales.organization.name;
  return captured ? <p class="sales-status">{t('sales.captured')}</p> : null;
}

/** "Created results": the leads, deals and activities, and creations not sent yet. */
export function CreatedResults({ d }: { d: ConversationDetail }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t } = i18n;
  const [menu, setMenu] = useState(false);
  // One click, one record: a double click (or an impatient second click) within a moment of
  // the first creates nothing more.
  const lastCreate = useRef({ lead: -Infinity, deal: -Infinity });
  const create = async (kind: 'lead' | 'deal') => {
    setMenu(false);
    const now = Date.now();
    if (now - lastCreate.current[kind] < DOUBLE_CLICK_MS) return;
    lastCreate.current[kind] = now;
    await inbox.createResult(kind);
  };
  const unsent = d.unsent_sales.filter((u) => u.action !== 'details');
  const results = d.details.results;
  return (
    <section class="created">
      <div class="section-head">
        <h3>{t('details.results')}</h3>
        {d.sales_lock === null && (
          <div class="create-actions">
            <button type="button" class="btn btn-sm" data-action="create-lead" onClick={() => create('lead')}>
              {t('result.create_lead')}
            </button>
            <div class="menu-anchor">
              <button
                type="button"
                class="icon-btn icon-btn-sm"
                aria-label={t('result.more')}
                title={t('result.more')}
                aria-haspopup="menu"
                aria-expanded={menu}
                data-action="more"
                onClick={() => setMenu(!menu)}
              >
                <MoreIcon />
              </button>
              {menu && <CreateMenu onDeal={() => create('deal')} onClose={() => setMenu(false)} label={t('result.create_deal')} />}
            </div>
          </div>
        )}
      </div>
      {results.length || unsent.length ? (
        <ul class="results">
          {results.map((r) => (
            <ResultItem r={r} key={r.id} />
          ))}
          {unsent.map((u) => (
            <li key={u.id} class={`unsent unsent-${u.status}`} data-unsent={u.action} data-status={u.status}>
              <span class={`kind kind-${u.action === 'create_lead' ? 'lead' : 'deal'}`}>
                {t(u.action === 'create_lead' ? 'followup.lead' : 'followup.deal')}
              </span>
              <span class="result-title">{t(u.action === 'create_lead' ? 'result.new_lead' : 'result.new_deal')}</span>
              {u.status === 'failed' ? (
                <small class="result-status failed">
                  {t('result.not_created', { reason: u.error ? reasonText(i18n, u.error) : '' })}{' '}
                  <button type="button" class="link-btn" data-action="retry" onClick={() => inbox.retrySales(u.id)}>
                    {t('result.retry')}
                  </button>{' '}
                  <button type="button" class="link-btn" data-action="discard" onClick={() => inbox.discardSales(u.id)}>
                    {t('result.discard')}
                  </button>
                </small>
              ) : (
                <small class="result-status muted">{t('result.waiting')}</small>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t('details.results_none')}</p>
      )}
    </section>
  );
}

function CreateMenu(p: { onDeal: () => void; onClose: () => void; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector('button')?.focus();
    const away = (e: MouseEvent) => {
      if (!ref.current?.parentElement?.contains(e.target as Node)) p.onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        p.onClose();
      }
    };
    document.addEventListener('mousedown', away);
    document.addEventListener('keydown', key, true);
    return () => {
      document.removeEventListener('mousedown', away);
      document.removeEventListener('keydown', key, true);
    };
  }, []);
  return (
    <div class="menu" role="menu" ref={ref}>
      <button type="button" role="menuitem" data-action="create-deal" onClick={p.onDeal}>
        {p.label}
      </button>
    </div>
  );
}

function money(value: number, currency: string | null, lang: string): string {
  try {
    return new Intl.NumberFormat(lang, {
      style: currency ? 'currency' : 'decimal',
      currency: currency ?? undefined,
      maximumFractionDigits: 0,
    }).format(value);
  } catch {
    return `${value} ${currency ?? ''}`.trim();
  }
}

function ResultItem({ r }: { r: CreatedResultView }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t, lang } = i18n;
  const kind = ['activity', 'lead', 'deal'].includes(r.kind) ? t(`followup.${r.kind}` as MessageKey) : r.kind;
  const who = r.created_by_name ?? t('result.by_bot');
  return (
    <li data-result={r.kind} data-status={r.sync.status}>
      <span class={`kind kind-${r.kind}`}>{kind}</span>
      <span class="result-title">
        {r.title}
        {r.value != null && <span class="result-value"> · {money(r.value, r.currency, lang)}</span>}
      </span>
      <small class="muted">
        {who} · {formatDateTime(r.created_at, lang)}
        {r.stage && ` · ${r.stage}`}
      </small>
      <SyncLine r={r} onRetry={() => inbox.retryResultPush(r.id)} onOpen={() => inbox.openResultLink(r.id)} />
    </li>
  );
}

function SyncLine(p: { r: CreatedResultView; onRetry: () => void; onOpen: () => void }) {
  const { t } = useI18n();
  const s = p.r.sync;
  switch (s.status) {
    case 'local':
      return <small class="result-status muted">{t('result.local')}</small>;
    case 'pending':
      return <small class="result-status pending">{t('result.pending')}</small>;
    case 'synced':
      return (
        <small class="result-status synced">
          <button type="button" class="link-btn" data-action="open-link" onClick={p.onOpen} title={s.url ?? undefined}>
            {t('result.synced')} <ExternalIcon />
          </button>
        </small>
      );
    case 'failed':
      return (
        <small class="result-status failed">
          {t('result.failed', { reason: s.error ?? '' })}{' '}
          <button type="button" class="link-btn" data-action="retry-push" onClick={p.onRetry}>
            {t('result.retry')}
          </button>
        </small>
      );
  }
}
