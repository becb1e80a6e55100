// Every string the inbox shows, in English and German. The German table must have every key
// of the English one (the type checker and a unit test make sure).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

const en = {
  'app.name': 'Frontdesk',
  'app.loading': 'Starting…',

  'signin.title': 'Sign in to your team’s inbox',
  'signin.lead': 'Chats from your website arrive here. Use the account your admin created for you.',
  'signin.server': 'Server address',
  'signin.server_hint': 'The address your admin gave you, e.g. https://chat.example.com',
  'signin.email': 'Email',
  'signin.password': 'Password',
  'signin.submit': 'Sign in',
  'signin.busy': 'Signing in…',
  'signin.missing': 'Fill in the server address, your email and your password.',
  'signin.bad_url': 'The server address should start with http:// or https://.',
  'signin.footer': 'Forgot your password? Your admin can set a new one.',

  'folder.unassigned': 'Unassigned',
  'folder.mine': 'My conversations',
  'folder.offline': 'Offline',
  'folder.closed': 'Closed',
  'folder.hint.unassigned': 'Visitors waiting for a person. Take a chat before its wait time runs out.',
  'folder.hint.mine': 'Conversations assigned to you.',
  'folder.hint.offline': 'Chats the bot handled while nobody was online.',
  'folder.hint.closed': 'Finished conversations of the whole team, readable offline.',
  'folder.empty.unassigned': 'Nobody is waiting. A chat appears here the moment a visitor asks for a person.',
  'folder.empty.mine': 'No open conversations. Take one from Unassigned.',
  'folder.empty.offline': 'No chats came in while everyone was offline.',
  'folder.empty.closed': 'Closed conversations appear here and stay readable offline.',
  'folder.unread_one': '{n} unread',
  'folder.unread_other': '{n} unread',
  'list.load_more': 'Load more',
  'list.label': 'Conversations',

  'row.unnamed': 'Visitor',
  'row.you': 'You:',
  'row.bot': 'Bot:',
  'row.draft': 'Draft',
  'row.waits': 'waits {time}',
  'row.wait_over': 'wait over',
  'row.unread_one': '{n} unread message',
  'row.unread_other': '{n} unread messages',
  'row.no_messages': 'No messages yet',

  'time.now': 'now',
  'time.minutes': '{n} min',
  'time.yesterday': 'Yesterday',

  'presence.online': 'Online',
  'presence.offline': 'Offline',
  'presence.receiving': 'Receiving new chats',
  'presence.not_receiving': 'Not receiving chats',
  'presence.reconnecting': 'Online once connected',
  'presence.toggle': 'Receive chats',
  'presence.colleagues_one': 'team: {n} online',
  'presence.colleagues_other': 'team: {n} online',
  'presence.holding_one': '{n} open chat',
  'presence.holding_other': '{n} open chats',

  'sync.connecting': 'Connecting…',
  'sync.catching_up': 'Catching up…',
  'sync.live': 'Connected',
  'sync.offline': 'Offline — showing saved conversations',
  'sync.outbox_one': '{n} message waiting to send',
  'sync.outbox_other': '{n} messages waiting to send',

  'conv.none': 'Pick a conversation',
  'conv.none_hint': 'Move through the list with J and K, press ? for every shortcut.',
  'conv.assign': 'Assign to me',
  'conv.reassign': 'Reassign',
  'conv.close': 'Close',
  'conv.details': 'Details',
  'conv.loading': 'Loading…',
  'conv.state.bot': 'With the bot',
  'conv.state.waiting': 'Waiting for an operator',
  'conv.state.assigned_me': 'Assigned to you',
  'conv.state.assigned_other': 'Assigned to {name}',
  'conv.state.offline': 'Handled by the bot while nobody was online',
  'conv.state.closed': 'Closed {time}',
  'conv.started': 'Started {time}',
  'conv.closed_note': 'This conversation is closed: read-only for everyone. Leads and deals can still be created from it.',
  'conv.offline_note': 'The visitor went through the offline flow. Follow up through the captured contact details.',
  'conv.assign_note': 'Assign this conversation to yourself to reply.',
  'conv.other_note': 'Assigned to {name}. Only they can reply.',
  'conv.typing': '{name} is typing…',
  'conv.messages': 'Messages',
  'conv.today': 'Today',

  'author.bot': 'Bot',
  'author.system': 'Frontdesk',

  'msg.pending': 'Sending…',
  'msg.queued': 'Waiting for the connection',
  'msg.failed': 'Not sent: {reason}',
  'msg.retry': 'Retry',
  'msg.discard': 'Discard',

  'composer.label': 'Reply',
  'composer.placeholder': 'Write a reply…',
  'composer.hint': 'Enter sends · Shift+Enter starts a new line',
  'composer.send': 'Send',
  'composer.offline': 'You’re offline: replies are kept and sent when the connection is back.',

  'close.title': 'Close this conversation?',
  'close.body': 'The chat ends for the visitor and moves to Closed for the whole team. A closed conversation cannot be reopened or reassigned.',
  'close.confirm': 'Close conversation',
  'cancel': 'Cancel',

  'reassign.title': 'Reassign to a colleague',
  'reassign.body': 'Only colleagues who are online right now can take it. The list updates live.',
  'reassign.none': 'No colleague is online right now.',
  'reassign.confirm': 'Reassign',

  'offline.title_one': 'You still hold {n} open conversation',
  'offline.title_other': 'You still hold {n} open conversations',
  'offline.body': 'Visitors are waiting for your replies. What should happen to them while you are away?',
  'offline.hand_to': 'Hand them to a colleague who is online',
  'offline.release': 'Put them back in Unassigned',
  'offline.release_hint': 'Any online colleague can take them; with nobody online the bot’s offline flow takes over.',
  'offline.stay': 'Stay online',
  'offline.go': 'Go offline',
  'offline.nobody': 'No colleague is online, so nobody can take them over.',
  'offline.pick': 'Pick a colleague',

  'details.title': 'Details',
  'details.close': 'Hide details',
  'details.visitor': 'Visitor',
  'details.nothing': 'Nothing captured yet.',
  'details.source': 'Where they came from',
  'details.page': 'Chat started on',
  'details.referrer': 'Referrer',
  'details.converted': 'Converted on',
  'details.language': 'Chat language',
  'details.none': '—',
  'details.deal': 'Deal',
  'details.deal_value': 'Deal value',
  'details.contact': 'Contact',
  'details.organization': 'Organization',
  'details.notes': 'Notes',
  'details.crm_later': 'Deals, contacts and notes arrive with the CRM connection.',
  'details.results': 'Created results',
  'details.results_none': 'No leads, deals or activities yet.',
  'field.name': 'Name',
  'field.email': 'Email',
  'field.phone': 'Phone',
  'field.organization': 'Organization',
  'followup.activity': 'Activity',
  'followup.lead': 'Lead',
  'followup.deal': 'Deal',
  'followup.pending': 'Not yet in the CRM',

  'search.label': 'Search conversations',
  'search.placeholder': 'Search all conversations',
  'search.hint': 'Searches every conversation saved on this computer — also offline.',
  'search.results_one': '{n} result',
  'search.results_other': '{n} results',
  'search.none': 'Nothing mentions “{q}”.',
  'search.clear': 'Clear search',
  'search.in_name': 'Visitor’s name',

  'help.title': 'Keyboard shortcuts',
  'help.enabled': 'Single-key shortcuts (outside the reply box)',
  'help.close': 'Done',
  'help.open': 'Keyboard shortcuts',
  'shortcut.next': 'Next conversation',
  'shortcut.prev': 'Previous conversation',
  'shortcut.assign': 'Assign to me',
  'shortcut.reassign': 'Reassign',
  'shortcut.close': 'Close conversation',
  'shortcut.reply': 'Write a reply',
  'shortcut.send': 'Send the reply',
  'shortcut.newline': 'New line in the reply',
  'shortcut.search': 'Search',
  'shortcut.folders': 'Switch folder',
  'shortcut.details': 'Show or hide details',
  'shortcut.escape': 'Leave the reply box, close a dialog',
  'shortcut.help': 'This list',

  'menu.language': 'Language',
  'menu.sign_out': 'Sign out',
  'notifications.unavailable': 'Desktop notifications can’t be shown on this computer ({message}). Keep an eye on the inbox.',
  'dismiss': 'Dismiss',
  'session.ended': 'You were signed out: {message}',

  'error.invalid_credentials': 'That email and password don’t match. Check both, or ask your admin to set a new password.',
  'error.unreachable': 'Can’t reach the server. Check the address and your network connection.',
  'error.already_assigned': 'A colleague took this conversation a moment before you.',
  'error.conversation_closed': 'the conversation was closed',
  'error.not_assigned': 'the conversation is no longer assigned to you',
  'error.conversation_not_found': 'This conversation is no longer visible to you.',
  'error.operator_offline': 'That colleague just went offline. Pick someone else.',
  'error.offline': 'This needs the server. Try again when you are back online.',
  'error.generic': 'Something went wrong: {message}',
} as const;

export type MessageKey = keyof typeof en;
type Table = Record<MessageKey, string>;

const de: Table = {
  'app.name': 'Frontdesk',
  'app.loading': 'Wird gestartet…',

  'signin.title': 'Beim Posteingang deines Teams anmelden',
  'signin.lead': 'Hier kommen die Chats von eurer Website an. Nutze das Konto, das dein Admin für dich angelegt hat.',
  'signin.server': 'Serveradresse',
  'signin.server_hint': 'Die Adresse von deinem Admin, z. B. https://chat.example.com',
  'signin.email': 'E-Mail',
  'signin.password': 'Passwort',
  'signin.submit': 'Anmelden',
  'signin.busy': 'Anmeldung läuft…',
  'signin.missing': 'Bitte Serveradresse, E-Mail und Passwort ausfüllen.',
  'signin.bad_url': 'Die Serveradresse sollte mit http:// oder https:// beginnen.',
  'signin.footer': 'Passwort vergessen? Dein Admin kann ein neues setzen.',

  'folder.unassigned': 'Nicht zugewiesen',
  'folder.mine': 'Meine Chats',
  'folder.offline': 'Offline',
  'folder.closed': 'Geschlossen',
  'folder.hint.unassigned': 'Besucher, die auf eine Person warten. Übernimm einen Chat, bevor die Wartezeit abläuft.',
  'folder.hint.mine': 'Unterhaltungen, die dir zugewiesen sind.',
  'folder.hint.offline': 'Chats, die der Bot geführt hat, während niemand online war.',
  'folder.hint.closed': 'Abgeschlossene Unterhaltungen des ganzen Teams, auch offline lesbar.',
  'folder.empty.unassigned': 'Niemand wartet. Ein Chat erscheint hier, sobald ein Besucher nach einer Person fragt.',
  'folder.empty.mine': 'Keine offenen Unterhaltungen. Übernimm eine aus „Nicht zugewiesen“.',
  'folder.empty.offline': 'Während alle offline waren, kam kein Chat herein.',
  'folder.empty.closed': 'Geschlossene Unterhaltungen erscheinen hier und bleiben offline lesbar.',
  'folder.unread_one': '{n} ungelesen',
  'folder.unread_other': '{n} ungelesen',
  'list.load_more': 'Mehr laden',
  'list.label': 'Unterhaltungen',

  'row.unnamed': 'Besucher',
  'row.you': 'Du:',
  'row.bot': 'Bot:',
  'row.draft': 'Entwurf',
  'row.waits': 'wartet {time}',
  'row.wait_over': 'Wartezeit vorbei',
  'row.unread_one': '{n} ungelesene Nachricht',
  'row.unread_other': '{n} ungelesene Nachrichten',
  'row.no_messages': 'Noch keine Nachrichten',

  'time.now': 'jetzt',
  'time.minutes': '{n} Min.',
  'time.yesterday': 'Gestern',

  'presence.online': 'Online',
  'presence.offline': 'Offline',
  'presence.receiving': 'Neue Chats kommen an',
  'presence.not_receiving': 'Keine neuen Chats',
  'presence.reconnecting': 'Online, sobald verbunden',
  'presence.toggle': 'Chats annehmen',
  'presence.colleagues_one': 'Team: {n} online',
  'presence.colleagues_other': 'Team: {n} online',
  'presence.holding_one': '{n} offener Chat',
  'presence.holding_other': '{n} offene Chats',

  'sync.connecting': 'Verbinde…',
  'sync.catching_up': 'Hole Verpasstes nach…',
  'sync.live': 'Verbunden',
  'sync.offline': 'Offline — gespeicherte Unterhaltungen',
  'sync.outbox_one': '{n} Nachricht wartet auf Versand',
  'sync.outbox_other': '{n} Nachrichten warten auf Versand',

  'conv.none': 'Wähle eine Unterhaltung',
  'conv.none_hint': 'Mit J und K durch die Liste, mit ? alle Tastenkürzel.',
  'conv.assign': 'Mir zuweisen',
  'conv.reassign': 'Neu zuweisen',
  'conv.close': 'Schließen',
  'conv.details': 'Details',
  'conv.loading': 'Lädt…',
  'conv.state.bot': 'Beim Bot',
  'conv.state.waiting': 'Wartet auf einen Operator',
  'conv.state.assigned_me': 'Dir zugewiesen',
  'conv.state.assigned_other': '{name} zugewiesen',
  'conv.state.offline': 'Vom Bot geführt, während niemand online war',
  'conv.state.closed': 'Geschlossen {time}',
  'conv.started': 'Begonnen {time}',
  'conv.closed_note': 'Diese Unterhaltung ist geschlossen und für alle nur lesbar. Leads und Deals lassen sich weiterhin daraus anlegen.',
  'conv.offline_note': 'Der Besucher hat den Offline-Ablauf durchlaufen. Melde dich über die erfassten Kontaktdaten.',
  'conv.assign_note': 'Weise dir diese Unterhaltung zu, um zu antworten.',
  'conv.other_note': '{name} zugewiesen. Nur diese Person kann antworten.',
  'conv.typing': '{name} schreibt…',
  'conv.messages': 'Nachrichten',
  'conv.today': 'Heute',

  'author.bot': 'Bot',
  'author.system': 'Frontdesk',

  'msg.pending': 'Wird gesendet…',
  'msg.queued': 'Wartet auf die Verbindung',
  'msg.failed': 'Nicht gesendet: {reason}',
  'msg.retry': 'Erneut senden',
  'msg.discard': 'Verwerfen',

  'composer.label': 'Antwort',
  'composer.placeholder': 'Antwort schreiben…',
  'composer.hint': 'Enter sendet · Umschalt+Enter für eine neue Zeile',
  'composer.send': 'Senden',
  'composer.offline': 'Du bist offline: Antworten werden gespeichert und gesendet, sobald die Verbindung zurück ist.',

  'close.title': 'Diese Unterhaltung schließen?',
  'close.body': 'Der Chat endet für den Besucher und wandert für das ganze Team nach „Geschlossen“. Eine geschlossene Unterhaltung lässt sich nicht wieder öffnen oder neu zuweisen.',
  'close.confirm': 'Unterhaltung schließen',
  'cancel': 'Abbrechen',

  'reassign.title': 'An Kollegin oder Kollegen übergeben',
  'reassign.body': 'Nur wer gerade online ist, kann übernehmen. Die Liste aktualisiert sich laufend.',
  'reassign.none': 'Gerade ist niemand sonst online.',
  'reassign.confirm': 'Übergeben',

  'offline.title_one': 'Du hast noch {n} offene Unterhaltung',
  'offline.title_other': 'Du hast noch {n} offene Unterhaltungen',
  'offline.body': 'Besucher warten auf deine Antwort. Was soll mit ihnen passieren, solange du weg bist?',
  'offline.hand_to': 'An jemanden übergeben, der online ist',
  'offline.release': 'Zurück nach „Nicht zugewiesen“',
  'offline.release_hint': 'Jeder, der online ist, kann sie übernehmen; ist niemand online, übernimmt der Offline-Ablauf des Bots.',
  'offline.stay': 'Online bleiben',
  'offline.go': 'Offline gehen',
  'offline.nobody': 'Niemand sonst ist online, der sie übernehmen könnte.',
  'offline.pick': 'Person auswählen',

  'details.title': 'Details',
  'details.close': 'Details ausblenden',
  'details.visitor': 'Besucher',
  'details.nothing': 'Noch nichts erfasst.',
  'details.source': 'Herkunft',
  'details.page': 'Chat begonnen auf',
  'details.referrer': 'Verweis von',
  'details.converted': 'Konvertiert auf',
  'details.language': 'Chatsprache',
  'details.none': '—',
  'details.deal': 'Deal',
  'details.deal_value': 'Deal-Wert',
  'details.contact': 'Kontakt',
  'details.organization': 'Organisation',
  'details.notes': 'Notizen',
  'details.crm_later': 'Deals, Kontakte und Notizen kommen mit der CRM-Anbindung.',
  'details.results': 'Angelegte Ergebnisse',
  'details.results_none': 'Noch keine Leads, Deals oder Aktivitäten.',
  'field.name': 'Name',
  'field.email': 'E-Mail',
  'field.phone': 'Telefon',
  'field.organization': 'Organisation',
  'followup.activity': 'Aktivität',
  'followup.lead': 'Lead',
  'followup.deal': 'Deal',
  'followup.pending': 'Noch nicht im CRM',

  'search.label': 'Unterhaltungen durchsuchen',
  'search.placeholder': 'Alle Chats durchsuchen',
  'search.hint': 'Durchsucht jede auf diesem Computer gespeicherte Unterhaltung — auch offline.',
  'search.results_one': '{n} Treffer',
  'search.results_other': '{n} Treffer',
  'search.none': 'Nichts erwähnt „{q}“.',
  'search.clear': 'Suche leeren',
  'search.in_name': 'Name des Besuchers',

  'help.title': 'Tastenkürzel',
  'help.enabled': 'Einzeltasten-Kürzel (außerhalb des Antwortfelds)',
  'help.close': 'Fertig',
  'help.open': 'Tastenkürzel',
  'shortcut.next': 'Nächste Unterhaltung',
  'shortcut.prev': 'Vorherige Unterhaltung',
  'shortcut.assign': 'Mir zuweisen',
  'shortcut.reassign': 'Neu zuweisen',
  'shortcut.close': 'Unterhaltung schließen',
  'shortcut.reply': 'Antwort schreiben',
  'shortcut.send': 'Antwort senden',
  'shortcut.newline': 'Neue Zeile in der Antwort',
  'shortcut.search': 'Suchen',
  'shortcut.folders': 'Ordner wechseln',
  'shortcut.details': 'Details ein- oder ausblenden',
  'shortcut.escape': 'Antwortfeld verlassen, Dialog schließen',
  'shortcut.help': 'Diese Liste',

  'menu.language': 'Sprache',
  'menu.sign_out': 'Abmelden',
  'notifications.unavailable': 'Desktop-Benachrichtigungen sind auf diesem Computer nicht möglich ({message}). Behalte den Posteingang im Blick.',
  'dismiss': 'Ausblenden',
  'session.ended': 'Du wurdest abgemeldet: {message}',

  'error.invalid_credentials': 'E-Mail und Passwort passen nicht zusammen. Prüfe beides oder bitte deinen Admin um ein neues Passwort.',
  'error.unreachable': 'Der Server ist nicht erreichbar. Prüfe die Adresse und deine Netzwerkverbindung.',
  'error.already_assigned': 'Jemand aus dem Team hat diese Unterhaltung kurz vor dir übernommen.',
  'error.conversation_closed': 'Die Unterhaltung wurde geschlossen',
  'error.not_assigned': 'Die Unterhaltung ist dir nicht mehr zugewiesen',
  'error.conversation_not_found': 'Diese Unterhaltung ist für dich nicht mehr sichtbar.',
  'error.operator_offline': 'Diese Person ist gerade offline gegangen. Wähle jemand anderen.',
  'error.offline': 'Dafür braucht es den Server. Versuch es wieder, sobald du online bist.',
  'error.generic': 'Etwas ist schiefgegangen: {message}',
};

export const LANGUAGES = ['en', 'de'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const tables: Record<Lang, Table> = { en, de };
export const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', de: 'Deutsch' };

/** The first of the OS/browser's preferred languages we have, else English. */
export function detectLanguage(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if ((LANGUAGES as readonly string[]).includes(base)) return base as Lang;
  }
  return 'en';
}

export type Vars = Record<string, string | number>;

export function translate(lang: Lang, key: MessageKey, vars?: Vars): string {
  const text: string = tables[lang][key] ?? en[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** Keys that come in `_one` / `_other` pairs. */
type PluralBase = {
  [K in MessageKey]: K extends `${infer B}_one` ? B : never;
}[MessageKey];

export interface Translator {
  lang: Lang;
  t: (key: MessageKey, vars?: Vars) => string;
  /** Plural form of `base` (`base_one` / `base_other`) for `n`; `{n}` is filled in. */
  tn: (base: PluralBase, n: number, vars?: Vars) => string;
  /** A known error code's text, else the engine's own message. */
  has: (key: string) => key is MessageKey;
}

export function translator(lang: Lang): Translator {
  const rules = new Intl.PluralRules(lang);
  return {
    lang,
    t: (key, vars) => translate(lang, key, vars),
    tn: (base, n, vars) => {
      const form = rules.select(n) === 'one' ? 'one' : 'other';
      return translate(lang, `${base}_${form}` as MessageKey, { n, ...vars });
    },
    has: (key: string): key is MessageKey => key in en,
  };
}

export const I18n = createContext<Translator>(translator('en'));
export const useI18n = (): Translator => useContext(I18n);
