import { useState } from 'preact/hooks';
import type { IpcError } from '../backend/types';
import { LANGUAGE_NAMES, LANGUAGES, type Lang, useI18n } from '../i18n';
import { errorText, useInboxController } from './common';

export function SignIn({ serverUrl }: { serverUrl: string | null }) {
  const inbox = useInboxController();
  const i18n = useI18n();
  const { t } = i18n;
  const [server, setServer] = useState(serverUrl ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!server.trim() || !email.trim() || !password) return setError(t('signin.missing'));
    if (!/^https?:\/\/\S+$/i.test(server.trim())) return setError(t('signin.bad_url'));
    setBusy(true);
    setError(null);
    const err: IpcError | null = await inbox.signIn({ server_url: server.trim(), email: email.trim(), password });
    setBusy(false);
    if (err) {
      setError(errorText(i18n, err));
      setPassword('');
    }
  };

  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} noValidate>
        <div class="brand brand-lg">
          <span class="brand-mark" aria-hidden="true">F</span>
          <span>{t('app.name')}</span>
        </div>
        <h1>{t('signin.title')}</h1>
        <p class="muted">{t('signin.lead')}</p>
        <label class="field">
          <span>{t('signin.server')}</span>
          <input
            name="server"
            type="url"
            inputMode="url"
            autoComplete="url"
            spellcheck={false}
            value={server}
            placeholder="https://"
            onInput={(e) => setServer(e.currentTarget.value)}
          />
          <small class="muted">{t('signin.server_hint')}</small>
        </label>
        <label class="field">
          <span>{t('signin.email')}</span>
          <input
            name="email"
            type="email"
            autoComplete="username"
            spellcheck={false}
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span>{t('signin.password')}</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button class="btn btn-primary btn-block" type="submit" disabled={busy}>
          {busy ? t('signin.busy') : t('signin.submit')}
        </button>
        <div class="signin-foot">
          <span class="muted">{t('signin.footer')}</span>
          <select
            aria-label={t('menu.language')}
            value={i18n.lang}
            onChange={(e) => inbox.setLang(e.currentTarget.value as Lang)}
          >
            {LANGUAGES.map((l) => (
              <option value={l}>{LANGUAGE_NAMES[l]}</option>
            ))}
          </select>
        </div>
      </form>
    </main>
  );
}
