// Operator accounts: who can sign in, who is online now, adding one with a password to hand
// over, and disabling one with its consequences spelled out first.
import { useEffect, useState } from 'preact/hooks';
import type { IpcError, OperatorView } from '../backend/types';
import { errorText } from '../components/common';
import { Modal } from '../components/Dialogs';
import { useI18n } from '../i18n';
import { generatePassword, type Setup, type SetupState } from './setup';

export function Operators({ setup, s, meId }: { setup: Setup; s: SetupState; meId: string | undefined }) {
  const { t } = useI18n();
  const [online, setOnline] = useState<Set<string>>(new Set());
  const [disabling, setDisabling] = useState<OperatorView | null>(null);
  useEffect(() => {
    void setup.loadOperators();
    const refresh = () =>
      setup.backend
        .call('online_operators')
        .then((list) => setOnline(new Set(list.map((o) => o.id))))
        .catch(() => undefined);
    void refresh();
    // Presence changes arrive as events; the list follows them.
    const off = setup.backend.on('presence', (p) => setOnline(new Set(p.operators_online.map((o) => o.id))));
    return () => void off.then((f) => f());
  }, [setup]);
  return (
    <div class="operators">
      <NewOperator setup={setup} />
      <table class="operator-table">
        <thead>
          <tr>
            <th>{t('operators.name')}</th>
            <th>{t('operators.email')}</th>
            <th>{t('operators.role')}</th>
            <th>{t('operators.status')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(s.operators ?? []).map((o) => (
            <tr data-operator={o.email} class={o.disabled ? 'disabled' : ''}>
              <td>{o.display_name}</td>
              <td>{o.email}</td>
              <td>{t(`operators.role.${o.role}`)}</td>
              <td data-status={o.disabled ? 'disabled' : online.has(o.id) ? 'online' : 'offline'}>
                {o.disabled ? t('operators.disabled') : online.has(o.id) ? t('presence.online') : t('presence.offline')}
              </td>
              <td>
                {!o.disabled && o.id !== meId && (
                  <button class="btn btn-sm" data-action="disable" onClick={() => setDisabling(o)}>
                    {t('operators.disable')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {disabling && (
        <Modal name="disable-operator" title={t('operators.disable.title', { name: disabling.display_name })} onCancel={() => setDisabling(null)}>
          <p>{t('operators.disable.body')}</p>
          <div class="dialog-actions">
            <button class="btn" onClick={() => setDisabling(null)}>
              {t('cancel')}
            </button>
            <button
              class="btn btn-danger"
              data-action="confirm-disable"
              onClick={() => {
                const id = disabling.id;
                setDisabling(null);
                void setup.disableOperator(id);
              }}
            >
              {t('operators.disable')}
            </button>
          </div>
        </Modal>
      )}
    </div>
  );
}

function NewOperator({ setup }: { setup: Setup }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'operator' | 'admin'>('operator');
  const [error, setError] = useState<IpcError | null>(null);
  const [created, setCreated] = useState<{ email: string; password: string } | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="new-operator form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        const password = generatePassword();
        const err = await setup.createOperator({ display_name: name.trim(), email: email.trim(), role, password });
        setBusy(false);
        setError(err);
        if (!err) {
          setCreated({ email: email.trim(), password });
          setName('');
          setEmail('');
        }
      }}
    >
      <h2>{t('operators.add')}</h2>
      <div class="form-row">
        <label>
          <span>{t('operators.name')}</span>
          <input name="display_name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t('operators.email')}</span>
          <input name="email" type="email" required maxLength={254} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </label>
        <label>
          <span>{t('operators.role')}</span>
          <select name="role" value={role} onChange={(e) => setRole(e.currentTarget.value as 'operator' | 'admin')}>
            <option value="operator">{t('operators.role.operator')}</option>
            <option value="admin">{t('operators.role.admin')}</option>
          </select>
        </label>
        <button class="btn btn-primary" type="submit" data-action="add-operator" disabled={busy}>
          {t('operators.add')}
        </button>
      </div>
      {error && (
        <p class="field-error" role="alert">
          {errorText(i18n, error)}
        </p>
      )}
      {created && (
        <div class="handover" role="status" data-created={created.email}>
          {t('operators.created', { email: created.email })}
          <code class="password" data-password>
            {created.password}
          </code>
          <span class="muted small">{t('operators.created_hint')}</span>
        </div>
      )}
    </form>
  );
}
