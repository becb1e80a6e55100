import { render } from 'preact';
import { selectBackend } from './backend/backend';
import { App } from './components/App';
import { Inbox } from './state/inbox';
import './styles/app.css';
import './styles/setup.css';

async function start(): Promise<void> {
  const inbox = new Inbox(await selectBackend());
  render(<App inbox={inbox} />, document.getElementById('app')!);
  await inbox.boot();
}

void start();
