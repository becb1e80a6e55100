// The real website widget in a frame beside the editor (widget-preview.html loads the same
// widget.js the server serves), answered by a PreviewSession: what the admin sees is what
// visitors get, and previewing creates no conversation.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Backend } from '../backend/backend';
import type { VisitorState } from '../backend/types';
import { useI18n } from '../i18n';
import type { Playbook } from './playbook';
import { PreviewSession, type WidgetResponse } from './preview-transport';

/** What the frame finds on its parent (same origin): the transport and where to report. */
export interface PreviewHost {
  transport: (method: string, path: string, body?: Record<string, unknown>) => Promise<WidgetResponse>;
  attach: (api: { apply: (state: VisitorState) => void; open: () => void }) => void;
}

declare global {
  interface Window {
    frontdeskPreviewHost?: PreviewHost;
  }
}

const RESTART_AFTER_MS = 500;

export function WidgetPreview({ backend, definition, valid }: { backend: Backend; definition: Playbook; valid: boolean }) {
  const { t } = useI18n();
  const [online, setOnline] = useState(true);
  const [run, setRun] = useState(0);
  const [waiting, setWaiting] = useState(false);
  // Restart the preview a moment after the last edit (typing is not a reload per key).
  const text = JSON.stringify(definition);
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(text), RESTART_AFTER_MS);
    return () => clearTimeout(timer);
  }, [text]);
  const api = useRef<{ apply: (s: VisitorState) => void; open: () => void } | null>(null);
  const session = useMemo(
    () =>
      new PreviewSession({
        step: (req) => backend.call('preview_playbook', req),
        definition: JSON.parse(settled),
        anyoneOnline: online,
      }),
    [settled, online, run, backend],
  );
  // A new frame per session (not per keystroke: `settled` changes after a pause).
  const generation = useRef(0);
  const frame = useMemo(() => ++generation.current, [session]);
  // Set during render so it is there before the new frame's script asks for it.
  window.frontdeskPreviewHost = useMemo<PreviewHost>(
    () => ({
      transport: async (method, path, body) => {
        const r = await session.transport(method, path, body);
        setWaiting(session.waiting);
        return r;
      },
      attach: (a) => {
        api.current = a;
        a.open();
      },
    }),
    [session],
  );
  useEffect(() => setWaiting(false), [session]);
  useEffect(
    () => () => {
      delete window.frontdeskPreviewHost;
    },
    [],
  );
  const expire = async () => {
    const st = await session.expireWait();
    setWaiting(session.waiting);
    if (st) api.current?.apply(st);
  };
  return (
    <aside class="preview" aria-label={t('setup.preview')}>
      <div class="preview-controls">
        <strong>{t('setup.preview')}</strong>
        <div class="segmented" role="radiogroup" aria-label={t('setup.preview.situation')}>
          <button role="radio" aria-checked={online} class={online ? 'active' : ''} data-preview="online" onClick={() => setOnline(true)}>
            {t('setup.preview.online')}
          </button>
          <button role="radio" aria-checked={!online} class={!online ? 'active' : ''} data-preview="nobody" onClick={() => setOnline(false)}>
            {t('setup.preview.nobody')}
          </button>
        </div>
        <button class="btn btn-sm" onClick={() => setRun((n) => n + 1)} data-action="restart-preview">
          {t('setup.preview.restart')}
        </button>
        {waiting && (
          <button class="btn btn-sm" onClick={() => void expire()} data-action="expire-wait">
            {t('setup.preview.expire')}
          </button>
        )}
      </div>
      {valid ? (
        <iframe key={frame} class="preview-frame" src="widget-preview.html" title={t('setup.preview')} />
      ) : (
        <div class="preview-blocked muted">{t('setup.preview.blocked')}</div>
      )}
      <p class="muted small">{t('setup.preview.note')}</p>
    </aside>
  );
}
