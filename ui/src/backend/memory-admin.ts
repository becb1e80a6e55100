// The in-memory double's admin part (playbooks, preview, operators) for unit tests and the
// browser preview of the screens. It stores what it is given and keeps the server's version
// check; it does not judge playbooks (validation problems are whatever a test puts in
// `problems`) and its preview only echoes the start: the real rules live on the server.
import { BackendError } from './backend';
import type {
  OperatorView,
  PlaybookPreview,
  PlaybookView,
  PreviewRequest,
  TemplateView,
  ValidationProblem,
} from './types';
import type { Playbook } from '../admin/playbook';

export const ADMIN_COMMANDS = new Set([
  'playbooks',
  'playbook_templates',
  'create_playbook',
  'playbook',
  'save_playbook',
  'validate_playbook',
  'preview_playbook',
  'set_playbook_active',
  'set_playbook_origins',
  'playbook_snippet',
  'open_demo_page',
  'operators',
  'create_operator',
  'disable_operator',
]);

export function sampleDefinition(): Playbook {
  return {
    name: 'Chat with your leads',
    appearance: { bot_name: 'Frontdesk', primary_color: '#2563eb', text_color: '#ffffff', icon: 'chat', language: 'en' },
    greeting: { text: 'Questions? We are online.', delay_ms: 3000 },
    start: 'start',
    cards: {
      start: {
        kind: 'question',
        text: 'Hi there! How can we help you today?',
        answers: [
          { label: 'Talk to a person', next: 'livechat' },
          { label: 'Just browsing', next: 'browsing' },
        ],
      },
      livechat: {
        kind: 'live_chat',
        online_message: 'One moment, a colleague will be with you shortly.',
        wait_secs: 120,
        offline_message: 'Nobody is available right now.',
        offline_next: 'offline-email',
      },
      'offline-email': { kind: 'capture', text: 'Your email, so we can get back to you?', field: 'email', next: 'offline-lead' },
      'offline-lead': { kind: 'follow_up', create: 'lead', title: 'Callback request from the website chat', next: 'offline-done' },
      'offline-done': { kind: 'qualified', text: 'Thank you! We will get back to you soon.' },
      browsing: { kind: 'disqualified', text: 'Enjoy! We are here if you need us.' },
    },
  };
}

export class MemoryAdmin {
  playbooks: PlaybookView[] = [];
  operators: OperatorView[] = [];
  /** What `validate_playbook` answers (the double does not judge playbooks). */
  problems: ValidationProblem[] = [];
  /** Playbooks whose demo page was asked to open. */
  demoOpened: string[] = [];
  private n = 0;

  constructor(private readonly now: () => number) {
    this.playbooks.push(this.record(sampleDefinition(), true));
    this.operators.push(
      { id: 'op-lena', display_name: 'Lena Vogel', email: 'lena@acme-sales.example', role: 'admin', disabled: false },
      { id: 'op-tom', display_name: 'Tom Becker', email: 'tom@acme-sales.example', role: 'operator', disabled: false },
      { id: 'op-old', display_name: 'Kim Schulz', email: 'kim@acme-sales.example', role: 'operator', disabled: true },
    );
  }

  private record(definition: Playbook, active = false): PlaybookView {
    this.n += 1;
    return {
      id: `pb-${this.n}`,
      version: 1,
      active,
      allowed_origins: [],
      definition: structuredClone(definition),
      updated_at: this.now(),
    };
  }

  private find(id: string): PlaybookView {
    const p = this.playbooks.find((x) => x.id === id);
    if (!p) throw new BackendError('playbook_not_found', 'No playbook with this id.');
    return p;
  }

  run(command: string, a: any): unknown {
    switch (command) {
      case 'playbooks':
        return structuredClone(this.playbooks);
      case 'playbook_templates':
        return [
          { key: 'chat_with_your_leads', name: 'Chat with your leads' },
          { key: 'qualify_and_chat', name: 'Qualify leads, then chat' },
        ] satisfies TemplateView[];
      case 'create_playbook': {
        const d = a.definition ? (a.definition as Playbook) : sampleDefinition();
        if (a.language === 'de') d.appearance.language = 'de';
        const p = this.record(d);
        this.playbooks.push(p);
        return structuredClone(p);
      }
      case 'playbook':
        return structuredClone(this.find(a.id));
      case 'save_playbook': {
        const p = this.find(a.id);
        if (a.base_version !== p.version) {
          throw new BackendError(
            'version_conflict',
            `Someone else saved this meanwhile (now version ${p.version}). Reload it, then apply your changes again.`,
          );
        }
        Object.assign(p, { version: p.version + 1, definition: structuredClone(a.definition), updated_at: this.now() });
        return structuredClone(p);
      }
      case 'validate_playbook':
        return { valid: this.problems.length === 0, errors: structuredClone(this.problems) };
      case 'preview_playbook':
        return this.preview(a as PreviewRequest);
      case 'set_playbook_active': {
        const p = this.find(a.id);
        p.active = a.active;
        return structuredClone(p);
      }
      case 'set_playbook_origins': {
        const p = this.find(a.id);
        p.allowed_origins = (a.origins as string[]).map((o) => o.trim().replace(/\/+$/, '').toLowerCase());
        return structuredClone(p);
      }
      case 'playbook_snippet':
        return { snippet: `<script>\n  window.frontdeskConfig = { server: "https://chat.acme-sales.example", playbookId: "${a.id}" };\n</script>` };
      case 'open_demo_page': {
        if (!this.find(a.id).active) {
          throw new BackendError('playbook_inactive', 'Activate the playbook first: the demo page runs only active playbooks.');
        }
        this.demoOpened.push(a.id);
        return null;
      }
      case 'operators':
        return structuredClone(this.operators);
      case 'create_operator': {
        if (this.operators.some((o) => o.email === a.email)) {
          throw new BackendError('email_taken', 'An account with this email exists.');
        }
        const o: OperatorView = { id: `op-${++this.n}`, display_name: a.display_name, email: a.email, role: a.role, disabled: false };
        this.operators.push(o);
        return structuredClone(o);
      }
      case 'disable_operator': {
        const o = this.operators.find((x) => x.id === a.id);
        if (!o) throw new BackendError('operator_not_found', 'No such operator.');
        o.disabled = true;
        return structuredClone(o);
      }
    }
    throw new BackendError('unknown_command', `No command ${command}.`);
  }

  private preview(req: PreviewRequest): PlaybookPreview {
    const d = req.definition as Playbook;
    const first = d.cards[d.start];
    const text = first && 'text' in first && typeof first.text === 'string' ? first.text : '';
    return {
      widget: {
        playbook_id: '00000000-0000-0000-0000-000000000000',
        language: d.appearance.language,
        appearance: { ...d.appearance },
        greeting: d.greeting ?? null,
        texts: {},
      },
      messages: text ? [{ author: 'bot', author_name: d.appearance.bot_name, body: text }] : [],
      prompt: null,
      state: 'bot',
      wait_secs: null,
      livechat_card: null,
      qualified: null,
      captured: [],
      follow_ups: [],
    };
  }
}
