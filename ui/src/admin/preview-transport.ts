// The live preview runs the real website widget (crates/server/assets/widget.js) in a frame
// of the app, with this transport answering the requests the widget would send to the
// server. Each step is a dry run on the server (`preview_playbook`: the playbook engine and
// the handoff rule, nothing stored); here we only keep the transcript and shape the answers
// like the visitor API's, so the widget cannot tell the difference.
import { BackendError } from '../backend/backend';
import type {
  ConversationView,
  MessageView,
  PlaybookPreview,
  PreviewActionBody,
  PreviewRequest,
  Prompt,
  VisitorState,
} from '../backend/types';

export type WidgetResponse = { status: number; ok: boolean; data: unknown };

export interface PreviewOptions {
  /** Runs one preview step on the server. */
  step: (req: PreviewRequest) => Promise<PlaybookPreview>;
  definition: unknown;
  /** Preview as if an operator were online. */
  anyoneOnline: boolean;
  now?: () => number;
}

const VISITOR_ID = '00000000-0000-4000-8000-0000000050e5';
/** Each previewed chat gets its own id: starting over is a new conversation to the widget. */
const conversationId = (n: number) => `00000000-0000-4000-8000-c0de${String(n).padStart(8, '0')}`;

export class PreviewSession {
  private messages: MessageView[] = [];
  private prompt: Prompt | null = null;
  private state = 'bot';
  private waitSecs: number | null = null;
  private livechatCard: string | null = null;
  private qualified: boolean | null = null;
  private started: PlaybookPreview | null = null;
  private seq = 0;
  private chats = 0;
  private conversation = conversationId(0);
  private updated = 0;
  private readonly now: () => number;
  private botName = '';

  constructor(private readonly o: PreviewOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The widget's requests. Never rejects: failures are statuses, as fetch would give. */
  async transport(method: string, path: string, body?: Record<string, unknown>): Promise<WidgetResponse> {
    try {
      if (method === 'GET' && path.startsWith('/api/widget/')) {
        this.reset();
        this.started = await this.run({ kind: 'start' });
        return ok(this.started.widget);
      }
      if (method === 'POST' && path === '/api/visitor/session') {
        return ok({ token: 'preview', visitor_id: VISITOR_ID, expires_at: this.now() + 86_400_000 }, 201);
      }
      if (method === 'POST' && path === '/api/visitor/start') {
        this.reset();
        const first = this.started ?? (await this.run({ kind: 'start' }));
        this.started = null;
        this.take(first);
        return ok(this.view());
      }
      if (method === 'GET' && path === '/api/visitor/conversation') return ok(this.view());
      if (method === 'POST' && path === '/api/visitor/answer') {
        const a = body ?? {};
        const step = await this.run({
          kind: 'answer',
          card_id: String(a.card_id ?? ''),
          choice: typeof a.choice === 'number' ? a.choice : null,
          text: typeof a.text === 'string' ? a.text : null,
        });
        // The visitor's answer shows as their message, as in a real chat.
        const prompt = this.prompt;
        if (prompt) {
          const said = prompt.kind === 'choice' && typeof a.choice === 'number' ? prompt.answers[a.choice] : a.text;
          if (typeof said === 'string') this.add('visitor', '', said);
        }
        this.take(step);
        return ok(this.view());
      }
      if (method === 'POST' && path === '/api/visitor/messages') {
        const a = body ?? {};
        const m = this.add('visitor', '', String(a.body ?? ''), String(a.message_id ?? ''));
        return ok(m, 201);
      }
      return { status: 404, ok: false, data: { code: 'not_in_preview', message: 'Not available in the preview.' } };
    } catch (e) {
      if (e instanceof BackendError) {
        const status = e.code === 'offline' || e.code === 'unreachable' ? 0 : e.code === 'stale_card' ? 409 : 422;
        return { status, ok: false, data: { code: e.code, message: e.message } };
      }
      return { status: 0, ok: false, data: {} };
    }
  }

  /** Whether the previewed chat waits for an operator (then the wait can be let run out). */
  get waiting(): boolean {
    return this.state === 'waiting' && this.livechatCard !== null;
  }

  /** Nobody picked the chat up in time: the offline message and the offline path. */
  async expireWait(): Promise<VisitorState | null> {
    if (!this.waiting) return null;
    this.take(await this.run({ kind: 'wait_expired', card_id: this.livechatCard! }));
    return this.view();
  }

  private run(action: PreviewActionBody): Promise<PlaybookPreview> {
    return this.o.step({
      definition: this.o.definition,
      action,
      anyone_online: this.o.anyoneOnline,
      offline_mode: this.state === 'offline',
    });
  }

  private reset(): void {
    this.conversation = conversationId(++this.chats);
    this.messages = [];
    this.prompt = null;
    this.state = 'bot';
    this.waitSecs = null;
    this.livechatCard = null;
    this.qualified = null;
  }

  private take(step: PlaybookPreview): void {
    this.botName = step.widget.appearance.bot_name;
    for (const m of step.messages) this.add(m.author, m.author_name, m.body);
    this.prompt = step.prompt;
    this.state = step.state;
    this.waitSecs = step.wait_secs;
    this.livechatCard = step.livechat_card;
    if (step.qualified !== null) this.qualified = step.qualified;
  }

  private add(author: MessageView['author'], author_name: string, body: string, id?: string): MessageView {
    this.seq += 1;
    const m: MessageView = {
      id: id || `00000000-0000-4000-8000-${String(this.seq).padStart(12, '0')}`,
      conversation_id: this.conversation,
      seq: this.seq,
      author,
      author_id: null,
      author_name,
      body,
      created_at: this.now() + this.seq, // strictly increasing: the widget orders by time
    };
    this.messages.push(m);
    return m;
  }

  view(): VisitorState {
    this.updated = Math.max(this.updated + 1, this.now());
    const last = this.messages[this.messages.length - 1];
    const conversation: ConversationView = {
      id: this.conversation,
      visitor_id: VISITOR_ID,
      visitor_name: null,
      state: this.state,
      folder: null,
      assignee_id: null,
      handled_by: null,
      handled_by_name: null,
      display_name: this.botName,
      wait_deadline: this.state === 'waiting' && this.waitSecs !== null ? this.now() + this.waitSecs * 1000 : null,
      created_at: this.messages[0]?.created_at ?? this.now(),
      updated_at: this.updated,
      closed_at: this.state === 'closed' ? this.now() : null,
      message_count: this.messages.length,
      last_message_at: last?.created_at ?? null,
      preview: last?.body.slice(0, 140) ?? null,
      last_author: last?.author ?? null,
      qualified: this.qualified,
      playbook_id: null,
    };
    return { conversation, messages: [...this.messages], prompt: this.prompt };
  }
}

function ok(data: unknown, status = 200): WidgetResponse {
  return { status, ok: true, data };
}
