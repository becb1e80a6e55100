// The preview frame's script (widget-preview.html): runs the website widget — the very file
// the server serves at /widget.js, bundled at build time — with its requests answered by the
// editor's PreviewSession on the parent window instead of the network.
import type { PreviewHost } from './WidgetPreview';

type Call = [string, ...unknown[]];
type WidgetApi = { on: (name: string, handler: () => void) => void; trigger: (name: string) => void };
type Config = { server: string; playbookId: string; transport: PreviewHost['transport']; apply?: (s: unknown) => void };

const host = window.parent !== window ? window.parent.frontdeskPreviewHost : undefined;
if (host) {
  const cfg: Config = { server: location.origin, playbookId: 'preview', transport: host.transport };
  const w = window as unknown as { frontdeskConfig: Config; Frontdesk: WidgetApi & { q?: Call[] } };
  w.frontdeskConfig = cfg;
  // The install snippet's queue: the widget replays it in order once it is ready.
  const q: Call[] = [];
  w.Frontdesk = { q, on: (name, handler) => q.push(['on', name, handler]), trigger: (name) => q.push(['trigger', name]) };
  w.Frontdesk.on('initialized', () => host.attach({ apply: (s) => cfg.apply?.(s), open: () => w.Frontdesk.trigger('open') }));
  await import('../../../crates/server/assets/widget.js');
}
