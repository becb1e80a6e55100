// The live chat set-up's state and actions (admins), independent of how it is drawn. Like
// the inbox it reads and writes only through the Backend. Nothing here is queued: an admin's
// change reaches the server now or fails with the reason; unsaved edits are kept in the
// window (draft.ts) until saved or discarded.
import { useObserved } from '../state/subscribe';
import { type Backend, toBackendError } from '../backend/backend';
import type { IpcError, OperatorView, PlaybookView, Session, TemplateView, ValidationProblem } from '../backend/types';
import { dropDraft, loadDraft, storeDraft } from './draft';
import { blankPlaybook, type Lang, type Playbook } from './playbook';

export const BLANK = 'blank';

export type Section = 'flow' | 'appearance' | 'install';

export interface EditorState {
  id: string;
  /** The saved version the draft started from. */
  base: PlaybookView;
  draft: Playbook;
  dirty: boolean;
  section: Section;
  selected: string | null;
  problems: ValidationProblem[];
  /** The validation answer is for an older draft (or none came yet). */
  validating: boolean;
  saving: boolean;
  /** Someone else saved meanwhile (409 `version_conflict`). */
  conflict: IpcError | null;
  /** The draft was restored from an earlier session (unsaved then). */
  restoredAt: number | null;
  snippet: string | null;
}

export interface SetupState {
  tab: 'playbooks' | 'operators';
  playbooks: PlaybookView[] | null;
  templates: TemplateView[];
  operators: OperatorView[] | null;
  editor: EditorState | null;
  /** The last failure, shown where the admin is (offline, refused, …). */
  error: IpcError | null;
  /** Leaving the editor with unsaved changes waits for the admin's answer. */
  leaving: (() => void) | null;
  busy: boolean;
}

const VALIDATE_AFTER_MS = 300;

export class Setup {
  state: SetupState = {
    tab: 'playbooks',
    playbooks: null,
    templates: [],
    operators: null,
    editor: null,
    error: null,
    leaving: null,
    busy: false,
  };
  private listeners = new Set<() => void>();
  private validateTimer: ReturnType<typeof setTimeout> | null = null;
  private validateSeq = 0;

  /** `owner` names whose drafts these are (server and account): another admin signing in on
   *  this machine never finds them. */
  constructor(
    readonly backend: Backend,
    private readonly owner = '',
  ) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(patch: Partial<SetupState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  private setEditor(patch: Partial<EditorState>): void {
    if (this.state.editor) this.set({ editor: { ...this.state.editor, ...patch } });
  }

  private fail(e: unknown): null {
    this.set({ error: toBackendError(e), busy: false });
    return null;
  }

  dismissError(): void {
    this.set({ error: null });
  }

  // -- playbooks --------------------------------------------------------------------------

  async load(): Promise<void> {
    try {
      const [playbooks, templates] = await Promise.all([
        this.backend.call('playbooks'),
        this.backend.call('playbook_templates'),
      ]);
      this.set({ playbooks, templates, error: null });
    } catch (e) {
      this.fail(e);
    }
  }

  setTab(tab: SetupState['tab']): void {
    this.guardLeave(() => {
      this.set({ tab, editor: null });
      if (tab === 'operators') void this.loadOperators();
      else void this.load();
    });
  }

  /** From a server template, or `blank`. */
  async createFromTemplate(template: string, language: Lang): Promise<void> {
    if (template === BLANK) await this.create({ definition: blankPlaybook(language) });
    else await this.create({ template, language });
  }

  async duplicate(p: PlaybookView): Promise<void> {
    const d = structuredClone(p.definition) as Playbook;
    d.name = `${d.name} (2)`.slice(0, 200);
    await this.create({ definition: d });
  }

  private async create(args: { template?: string; language?: Lang; definition?: Playbook }): Promise<void> {
    this.set({ busy: true });
    try {
      const p = await this.backend.call('create_playbook', {
        template: args.template ?? null,
        language: args.language ?? null,
        definition: args.definition ?? null,
      });
      this.set({ busy: false, playbooks: [...(this.state.playbooks ?? []), p] });
      await this.edit(p.id);
    } catch (e) {
      this.fail(e);
    }
  }

  async setActive(id: string, active: boolean): Promise<void> {
    try {
      const p = await this.backend.call('set_playbook_active', { id, active });
      this.replace(p);
    } catch (e) {
      this.fail(e);
    }
  }

  private replace(p: PlaybookView): void {
    this.set({ playbooks: (this.state.playbooks ?? []).map((x) => (x.id === p.id ? p : x)), error: null });
    const ed = this.state.editor;
    if (ed && ed.id === p.id) {
      // Activation and sites change the record, not the definition: keep the draft.
      this.setEditor({ base: { ...p, version: ed.base.version, definition: ed.base.definition } });
    }
  }

  // -- the editor -------------------------------------------------------------------------

  async edit(id: string): Promise<void> {
    try {
      const p = await this.backend.call('playbook', { id });
      const restore = loadDraft(this.owner, id);
      // A draft from an older version is kept too: saving it meets the version check, and
      // the admin chooses between theirs and mine.
      const stale = restore !== null && restore.base_version !== p.version;
      this.set({
        error: null,
        editor: {
          id,
          base: stale ? { ...p, version: restore.base_version } : p,
          draft: restore ? restore.definition : (structuredClone(p.definition) as Playbook),
          dirty: restore !== null,
          section: 'flow',
          selected: null,
          problems: [],
          validating: true,
          saving: false,
          conflict: stale ? { code: 'version_conflict', message: '' } : null,
          restoredAt: restore ? restore.saved_at : null,
          snippet: null,
        },
      });
      this.validateSoon(0);
    } catch (e) {
      this.fail(e);
    }
  }

  setSection(section: Section): void {
    this.setEditor({ section });
    if (section === 'install' && this.state.editor && !this.state.editor.snippet) void this.loadSnippet();
  }

  select(card: string | null): void {
    this.setEditor({ selected: card });
  }

  /** Every edit: kept as a draft at once, validated by the server shortly after. */
  change(draft: Playbook, select?: string | null): void {
    const ed = this.state.editor;
    if (!ed) return;
    storeDraft(this.owner, ed.id, { base_version: ed.base.version, saved_at: Date.now(), definition: draft });
    this.validateSeq++; // an answer for the previous draft no longer counts
    this.setEditor({ draft, dirty: true, validating: true, ...(select !== undefined ? { selected: select } : {}) });
    this.validateSoon(VALIDATE_AFTER_MS);
  }

  private validateSoon(ms: number): void {
    if (this.validateTimer) clearTimeout(this.validateTimer);
    this.validateTimer = setTimeout(() => void this.validate(), ms);
  }

  async validate(): Promise<void> {
    const ed = this.state.editor;
    if (!ed) return;
    const seq = ++this.validateSeq;
    try {
      const report = await this.backend.call('validate_playbook', { definition: ed.draft });
      if (seq !== this.validateSeq || this.state.editor?.id !== ed.id) return; // a newer edit is being checked
      this.setEditor({ problems: report.errors, validating: false });
    } catch (e) {
      // Unchecked, say why; saving still works (the server checks the save itself).
      if (seq === this.validateSeq) {
        this.setEditor({ validating: false });
        this.fail(e);
      }
    }
  }

  async save(): Promise<boolean> {
    const ed = this.state.editor;
    if (!ed || ed.saving) return false;
    return this.saveOn(ed.base.version);
  }

  private async saveOn(baseVersion: number): Promise<boolean> {
    const ed = this.state.editor!;
    this.setEditor({ saving: true });
    try {
      const p = await this.backend.call('save_playbook', { id: ed.id, definition: ed.draft, base_version: baseVersion });
      const now = this.state.editor;
      if (now?.id !== ed.id) return true;
      // Edits typed while the save was on its way are not in it: they stay a draft on top.
      const newer = now.draft !== ed.draft;
      if (newer) storeDraft(this.owner, ed.id, { base_version: p.version, saved_at: Date.now(), definition: now.draft });
      else dropDraft(this.owner, ed.id);
      this.setEditor({ base: p, dirty: newer, saving: false, conflict: null, restoredAt: null });
      this.set({ playbooks: (this.state.playbooks ?? []).map((x) => (x.id === p.id ? p : x)), error: null });
      return true;
    } catch (e) {
      const err = toBackendError(e);
      if (err.code === 'version_conflict') this.setEditor({ saving: false, conflict: err });
      else {
        this.setEditor({ saving: false });
        this.fail(err);
      }
      return false;
    }
  }

  /** After a conflict: keep mine, as a new version on top of theirs. */
  async saveMineAnyway(): Promise<void> {
    const ed = this.state.editor;
    if (!ed) return;
    try {
      const theirs = await this.backend.call('playbook', { id: ed.id });
      await this.saveOn(theirs.version);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Throws my unsaved changes away and loads the saved version. */
  async discard(): Promise<void> {
    const ed = this.state.editor;
    if (!ed) return;
    dropDraft(this.owner, ed.id);
    await this.edit(ed.id);
  }

  closeEditor(): void {
    this.guardLeave(() => {
      this.set({ editor: null });
      void this.load();
    });
  }

  /** Runs `go` now, or once the admin answered the unsaved-changes question. Returns
   *  whether it had to ask. */
  guardLeave(go: () => void): boolean {
    if (!this.state.editor?.dirty) {
      go();
      return false;
    }
    this.set({ leaving: go });
    return true;
  }

  /** The answer to "unsaved changes": save, discard (the draft is dropped) or stay. */
  async answerLeave(choice: 'save' | 'discard' | 'stay'): Promise<void> {
    const go = this.state.leaving;
    this.set({ leaving: null });
    if (!go || choice === 'stay') return;
    const ed = this.state.editor;
    if (choice === 'save' && !(await this.save())) return;
    if (choice === 'discard' && ed) dropDraft(this.owner, ed.id);
    this.set({ editor: null });
    go();
  }

  // -- install ----------------------------------------------------------------------------

  async loadSnippet(): Promise<void> {
    const ed = this.state.editor;
    if (!ed) return;
    try {
      const s = await this.backend.call('playbook_snippet', { id: ed.id });
      this.setEditor({ snippet: s.snippet });
    } catch (e) {
      this.fail(e);
    }
  }

  /** Saves the allowed sites; returns the server's refusal, if any, to show at the field. */
  async setOrigins(origins: string[]): Promise<IpcError | null> {
    const ed = this.state.editor;
    if (!ed) return null;
    try {
      const p = await this.backend.call('set_playbook_origins', { id: ed.id, origins });
      this.replace(p);
      return null;
    } catch (e) {
      return toBackendError(e);
    }
  }

  async openDemo(): Promise<void> {
    const ed = this.state.editor;
    if (!ed) return;
    try {
      await this.backend.call('open_demo_page', { id: ed.id });
    } catch (e) {
      this.fail(e);
    }
  }

  // -- operators --------------------------------------------------------------------------

  async loadOperators(): Promise<void> {
    try {
      this.set({ operators: await this.backend.call('operators'), error: null });
    } catch (e) {
      this.fail(e);
    }
  }

  /** Returns the refusal to show in the form, or null when the account was created. */
  async createOperator(args: { display_name: string; email: string; role: 'admin' | 'operator'; password: string }): Promise<IpcError | null> {
    try {
      const o = await this.backend.call('create_operator', args);
      this.set({ operators: [...(this.state.operators ?? []), o], error: null });
      return null;
    } catch (e) {
      return toBackendError(e);
    }
  }

  async disableOperator(id: string): Promise<void> {
    try {
      const o = await this.backend.call('disable_operator', { id });
      this.set({ operators: (this.state.operators ?? []).map((x) => (x.id === id ? o : x)), error: null });
    } catch (e) {
      this.fail(e);
    }
  }
}

/** Whose drafts: one account on one server. */
export function draftOwner(session: Session | null): string {
  return `${session?.server_url ?? ''}|${session?.operator?.id ?? ''}`;
}

/** Re-renders the caller whenever the set-up state changes. */
export function useSetup(setup: Setup): SetupState {
  return useObserved(setup);
}

/** A password for a new account, to hand over: 16 characters from an unambiguous alphabet. */
export function generatePassword(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const fair = 256 - (256 % alphabet.length); // bytes at or above this would favour some letters
  let out = '';
  while (out.length < 16) {
    for (const b of random(32)) if (b < fair && out.length < 16) out += alphabet[b % alphabet.length];
  }
  return out;
}
