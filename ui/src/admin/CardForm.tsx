// One card's fields, edited in place in the flow. Every change goes to the draft at once.
import { useI18n } from '../i18n';
import { addAnswer, type Card, deleteCard, type Field, type Playbook, removeAnswer, updateCard } from './playbook';
import type { Setup } from './setup';

const FIELDS = ['name', 'email', 'phone', 'organization', 'custom'] as const;

export function CardForm({ setup, pb, id }: { setup: Setup; pb: Playbook; id: string }) {
  const { t } = useI18n();
  const card = pb.cards[id];
  const put = (c: Card) => setup.change(updateCard(pb, id, c));
  const targets = Object.keys(pb.cards);
  const text = (label: string, name: string, value: string, onInput: (v: string) => void, long = true) => (
    <label>
      <span>{label}</span>
      {long ? (
        <textarea name={name} rows={2} maxLength={1000} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      ) : (
        <input name={name} maxLength={1000} value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      )}
    </label>
  );
  let body;
  switch (card.kind) {
    case 'message':
      body = text(t('card.text'), 'text', card.text, (v) => put({ ...card, text: v }));
      break;
    case 'question':
      body = (
        <>
          {text(t('card.question'), 'text', card.text, (v) => put({ ...card, text: v }))}
          <fieldset class="answers">
            <legend>{t('card.answers')}</legend>
            {card.answers.map((a, i) => (
              <div class="answer" data-answer={i}>
                <input
                  name={`answer-${i}`}
                  aria-label={t('card.answer_label', { n: i + 1 })}
                  maxLength={1000}
                  value={a.label}
                  onInput={(e) => put({ ...card, answers: card.answers.map((x, j) => (j === i ? { ...x, label: e.currentTarget.value } : x)) })}
                />
                <label class="leads-to">
                  <span>{t('card.leads_to')}</span>
                  <select
                    name={`answer-${i}-next`}
                    value={a.next}
                    onChange={(e) => put({ ...card, answers: card.answers.map((x, j) => (j === i ? { ...x, next: e.currentTarget.value } : x)) })}
                  >
                    {!targets.includes(a.next) && <option value={a.next}>{a.next}</option>}
                    {targets.filter((x) => x !== id).map((x) => (
                      <option value={x}>{x}</option>
                    ))}
                  </select>
                </label>
                <button class="btn btn-sm" disabled={card.answers.length <= 1} onClick={() => setup.change(removeAnswer(pb, id, i))}>
                  {t('card.remove_answer')}
                </button>
              </div>
            ))}
            <button class="btn btn-sm" data-action="add-answer" disabled={card.answers.length >= 10} onClick={() => setup.change(addAnswer(pb, id, t('card.new_answer')))}>
              {t('card.add_answer')}
            </button>
          </fieldset>
        </>
      );
      break;
    case 'capture': {
      const kind = typeof card.field === 'string' ? card.field : 'custom';
      const custom = typeof card.field === 'object' ? card.field.custom : '';
      body = (
        <>
          {text(t('card.question'), 'text', card.text, (v) => put({ ...card, text: v }))}
          <label>
            <span>{t('card.field')}</span>
            <select
              name="field"
              value={kind}
              onChange={(e) => {
                const v = e.currentTarget.value as (typeof FIELDS)[number];
                const field: Field = v === 'custom' ? { custom: custom || 'budget' } : v;
                put({ ...card, field });
              }}
            >
              {FIELDS.map((f) => (
                <option value={f}>{t(`card.field.${f}`)}</option>
              ))}
            </select>
          </label>
          {kind === 'custom' &&
            text(t('card.field.key'), 'custom_key', custom, (v) => put({ ...card, field: { custom: v } }), false)}
          {text(t('card.placeholder'), 'placeholder', card.placeholder ?? '', (v) => put({ ...card, placeholder: v || null }), false)}
          <p class="muted small">{t('card.validation_note')}</p>
        </>
      );
      break;
    }
    case 'live_chat':
      body = (
        <>
          {text(t('card.online_message'), 'online_message', card.online_message, (v) => put({ ...card, online_message: v }))}
          <label>
            <span>{t('card.wait_secs')}</span>
            <input
              type="number"
              name="wait_secs"
              min={10}
              max={3600}
              value={card.wait_secs}
              onInput={(e) => put({ ...card, wait_secs: Math.max(0, Math.round(Number(e.currentTarget.value) || 0)) })}
            />
          </label>
          {text(t('card.offline_message'), 'offline_message', card.offline_message, (v) => put({ ...card, offline_message: v }))}
          <p class="muted small">{t('card.livechat_note')}</p>
        </>
      );
      break;
    case 'follow_up':
      body = (
        <>
          <label>
            <span>{t('card.create')}</span>
            <select name="create" value={card.create} onChange={(e) => put({ ...card, create: e.currentTarget.value as typeof card.create })}>
              {(['activity', 'lead', 'deal'] as const).map((k) => (
                <option value={k}>{t(`card.create.${k}`)}</option>
              ))}
            </select>
          </label>
          {text(t('card.title'), 'title', card.title, (v) => put({ ...card, title: v }), false)}
        </>
      );
      break;
    case 'qualified':
    case 'disqualified':
      body = text(t('card.end_text'), 'text', card.text ?? '', (v) => put({ ...card, text: v || null }));
      break;
  }
  return (
    <div class="card-form form" data-form={id}>
      {body}
      <div class="card-actions">
        <button class="btn btn-sm btn-danger" data-action="delete-card" onClick={() => setup.change(deleteCard(pb, id), null)}>
          {t('card.delete')}
        </button>
      </div>
    </div>
  );
}
