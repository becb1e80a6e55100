import { Fragment } from 'preact';
import type { ConversationDetail, FieldValue } from '../backend/types';
import { type MessageKey, type Translator, useI18n } from '../i18n';
import { shortUrl, useInboxController } from './common';
import { XIcon } from './icons';
import { CreatedResults, SalesForm } from './Sales';

const KNOWN_FIELDS = ['name', 'email', 'phone', 'organization'];

function fieldLabel(i18n: Translator, key: string): string {
  if (KNOWN_FIELDS.includes(key)) return i18n.t(`field.${key}` as MessageKey);
  const custom = key.startsWith('custom.') ? key.slice('custom.'.length) : key;
  const words = custom.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function Url({ url }: { url: string | null }) {
  const { t } = useI18n();
  if (!url) return <dd class="muted">{t('details.none')}</dd>;
  // Text, not a link: opening a visitor-supplied address is a deliberate copy away.
  return (
    <dd class="url" title={url}>
      {shortUrl(url)}
    </dd>
  );
}

/** S12 / B7: what the bot captured, where the visitor came from, and the CRM's place. */
export function DetailsPanel({ d }: { d: ConversationDetail }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t } = i18n;
  const det = d.details;
  const fields: FieldValue[] = [...det.fields].sort(
    (a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key),
  );
  return (
    <aside class="details" aria-label={t('details.title')}>
      <header class="details-head">
        <h2>{t('details.title')}</h2>
        <button class="icon-btn" aria-label={t('details.close')} title={t('details.close')} onClick={() => inbox.toggleDetails()}>
          <XIcon />
        </button>
      </header>
      <section>
        <h3>{t('details.visitor')}</h3>
        {fields.length ? (
          <dl>
            {fields.map((f) => (
              <Fragment key={f.key}>
                <dt>{fieldLabel(i18n, f.key)}</dt>
                <dd>{f.value}</dd>
              </Fragment>
            ))}
          </dl>
        ) : (
          <p class="muted">{t('details.nothing')}</p>
        )}
      </section>
      <section>
        <h3>{t('details.source')}</h3>
        <dl>
          <dt>{t('details.page')}</dt>
          <Url url={det.page_url} />
          <dt>{t('details.referrer')}</dt>
          <Url url={det.referrer} />
          {det.converted_url && (
            <>
              <dt>{t('details.converted')}</dt>
              <Url url={det.converted_url} />
            </>
          )}
          <dt>{t('details.language')}</dt>
          <dd>{det.language ?? t('details.none')}</dd>
        </dl>
      </section>
      <section class="crm">
        <h3>{t('details.deal')}</h3>
        <SalesForm d={d} key={d.conversation.id} />
      </section>
      <CreatedResults d={d} key={`results-${d.conversation.id}`} />
    </aside>
  );
}

function rank(key: string): number {
  const i = KNOWN_FIELDS.indexOf(key);
  return i < 0 ? KNOWN_FIELDS.length : i;
}
