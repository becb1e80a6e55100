import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from '../src/backend/backend';
import { call } from '../src/backend/tauri';

afterEach(() => clearMocks());

describe('Tauri IPC backend', () => {
  it('invokes snake_case commands with their one `args` object', async () => {
    const seen: Array<[string, unknown]> = [];
    mockIPC((cmd, payload) => {
      seen.push([cmd, payload]);
      return cmd === 'folder_counts' ? { unassigned: { total: 1, unread: 0 } } : null;
    });
    await call('assign', { conversation_id: 'c1' });
    const counts = await call('folder_counts');
    expect(seen).toEqual([
      ['assign', { args: { conversation_id: 'c1' } }],
      ['folder_counts', {}],
    ]);
    expect(counts.unassigned.total).toBe(1);
  });

  it('turns every IPC error into {code, message}', async () => {
    mockIPC(() => {
      throw { code: 'already_assigned', message: 'Someone else was faster.' };
    });
    const err = await call('assign', { conversation_id: 'c1' }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect([err.code, err.message]).toEqual(['already_assigned', 'Someone else was faster.']);

    mockIPC(() => {
      throw 'command sign_in not found';
    });
    const other = await call('sign_out').catch((e) => e);
    expect([other.code, other.message]).toEqual(['internal', 'command sign_in not found']);
  });
});
