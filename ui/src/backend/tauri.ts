// The Backend over Tauri IPC: commands are `invoke(name, { args })` (snake_case names; the one
// argument is always called `args`, so Tauri's camelCase renaming of argument names never
// applies), events are `listen(name)` on the app's event bus.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { type Backend, type CommandArgs, toBackendError } from './backend';
import type { CommandName, Commands, EventName, Events } from './types';

/** The one typed wrapper around `invoke`. */
export async function call<C extends CommandName>(
  command: C,
  ...args: CommandArgs<C>
): Promise<Commands[C][1]> {
  try {
    return await invoke<Commands[C][1]>(command, args.length ? { args: args[0] } : {});
  } catch (raw) {
    throw toBackendError(raw);
  }
}

export function tauriBackend(): Backend {
  return {
    call,
    on<E extends EventName>(event: E, handler: (payload: Events[E]) => void) {
      return listen<Events[E]>(event, (e) => handler(e.payload));
    },
  };
}
