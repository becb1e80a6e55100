// The one data boundary of the inbox. Every screen reads and writes through a `Backend`;
// nothing else in ui/ talks to IPC, the network or storage. The desktop app uses the Tauri
// implementation (tauri.ts); a browser build for phones can bring its own (S16); unit tests
// and the screen preview use the in-memory double (memory.ts).
import type { CommandName, Commands, EventName, Events, IpcError } from './types';

/** The argument list of a command: none, or its one `args` object. */
export type CommandArgs<C extends CommandName> = Commands[C][0] extends void ? [] : [Commands[C][0]];

export interface Backend {
  /** Runs a command; rejects with a `BackendError` ({code, message}). */
  call<C extends CommandName>(command: C, ...args: CommandArgs<C>): Promise<Commands[C][1]>;
  /** Subscribes to an event; resolves to the function that unsubscribes. */
  on<E extends EventName>(event: E, handler: (payload: Events[E]) => void): Promise<() => void>;
}

/** Every failure of a command, in the one `{code, message}` shape. */
export class BackendError extends Error implements IpcError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}

/** Turns whatever a command rejected with into a `BackendError`. */
export function toBackendError(raw: unknown): BackendError {
  if (raw instanceof BackendError) return raw;
  if (raw && typeof raw === 'object') {
    const r = raw as { code?: unknown; message?: unknown };
    if (typeof r.code === 'string' && typeof r.message === 'string') {
      return new BackendError(r.code, r.message);
    }
    if (typeof r.message === 'string') return new BackendError('internal', r.message);
  }
  if (typeof raw === 'string') return new BackendError('internal', raw);
  return new BackendError('internal', String(raw));
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: unknown;
  }
}

/**
 * The Tauri implementation inside the desktop app; anywhere else (a plain browser during
 * development) the in-memory preview double, loaded as a separate chunk.
 */
export async function selectBackend(): Promise<Backend> {
  if (typeof window !== 'undefined' && window.__TAURI_INTERNALS__) {
    const { tauriBackend } = await import('./tauri');
    return tauriBackend();
  }
  const { previewBackend } = await import('./memory');
  return previewBackend(new URLSearchParams(window.location.search));
}
