'use strict';
// The dashboard's script: draws the inbox and the threads from the tools' JSON API
// (/api/v1/tools/NAME, the same tools an assistant calls over MCP) and keeps them current from
// the events stream. Every string that comes from the server goes into the page as text
// (textContent and text nodes), never as markup: a message can hold anything.
(() => {
  const who = document.body.dataset;
  const canSend = who.canSend === 'true';
  const app = document.getElementById('app');
  let current = { render: () => {} };

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // A JSON route of Pons: a GET without `body`, else a POST of it with the CSRF token. A
  // refusal becomes an ApiError with the server's words; a lost session goes to the sign-in.
  async function api(url, body) {
    const init = { headers: { Accept: 'application/json' }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.method = 'POST';
      init.headers['Content-Type'] = 'application/json';
      init.headers['X-CSRF-Token'] = who.csrf;
      init.body = JSON.stringify(body);
    }
    const res = await fetch(url, init);
    if (res.status === 401) {
      location.assign('/login');
      throw new ApiError(401, 'You are signed out.');
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, data.error || `The server answered ${res.status}.`);
    return data;
  }

  // A tool, as an assistant calls it: reads as a GET with its arguments in the query.
  function call(name, args = {}, method = 'GET') {
    const url = `/api/v1/tools/${encodeURIComponent(name)}`;
    if (method !== 'GET') return api(url, args);
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(args)) {
      if (value !== undefined && value !== '' && value !== false) query.set(key, String(value));
    }
    return api(query.toString() ? `${url}?${query}` : url);
  }

  // An element with attributes, listeners (onclick: ...) and children (strings become text).
  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'text') node.textContent = value;
      else if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  }

  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
  }

  function windowState(w) {
    if (!w || !w.open) return el('span', { class: 'window-closed', text: 'Window closed: templates only' });
    const hours = Math.floor(w.seconds_left / 3600);
    const minutes = Math.floor((w.seconds_left % 3600) / 60);
    const left = hours ? `${hours} h ${minutes} min` : `${minutes} min`;
    return el('span', { class: 'window-open', text: `Window open, ${left} left` });
  }

  // Each drawing takes a ticket; what an older one fetched never replaces a newer one's page
  // (a slow answer after the reader moved on, or a live redraw racing a navigation).
  let tickets = 0;
  function begin() {
    const mine = ++tickets;
    return (...nodes) => {
      if (mine === tickets) app.replaceChildren(...nodes);
    };
  }

  // What `request` answers; null once `show` has drawn `head` and why it failed.
  async function loaded(show, head, request) {
    try {
      return await request;
    } catch (error) {
      show(...head, problem(error));
      return null;
    }
  }

  function problem(error) {
    return el('p', { class: 'error', role: 'alert', text: error.message });
  }

  // --- the inbox ----------------------------------------------------------------------------

  function inboxLink(params) {
    const query = new URLSearchParams(params);
    for (const [key, value] of [...query]) if (!value) query.delete(key);
    return `#/${query.toString() ? `?${query}` : ''}`;
  }

  function labelList(labels, onRemove) {
    if (!labels || !labels.length) return null;
    return el('span', { class: 'labels', 'aria-label': 'Labels' }, ...labels.map((l) => el('span', { class: 'label' }, l,
      onRemove ? el('button', { type: 'button', 'aria-label': `Remove label ${l}`, onclick: () => onRemove(l), text: '×' }) : null)));
  }

  function conversationRow(c) {
    return el('li', {},
      el('a', { href: `#/c/${c.id}` },
        el('span', { class: 'name', text: c.contact.name }),
        c.unread_count > 0 ? el('span', { class: 'badge', text: String(c.unread_count) })
          : el('span', c.marked_unread ? { class: 'badge', text: '•', title: 'Marked unread' } : {}),
        el('span', { class: 'preview', text: c.preview }),
        el('span', { class: 'meta', text: when(c.last_message_at) }),
        el('span', { class: 'meta' }, windowState(c.window), c.unanswered ? ' · waiting for an answer' : '',
          labelList(c.labels))));
  }

  // What people keep on a conversation here (update_conversation): archived, marked unread,
  // labels and a note. Each change redraws the thread from what the server kept.
  function conversationTools(conv, redraw) {
    const status = el('p', { class: 'status', 'aria-live': 'polite' });
    const update = async (change) => {
      try {
        await call('update_conversation', { conversation_id: conv.id, ...change }, 'POST');
        await redraw();
      } catch (error) {
        status.textContent = error.message;
      }
    };
    const label = el('input', { name: 'label', maxlength: 40, placeholder: 'Add a label', 'aria-label': 'New label' });
    const note = el('textarea', { name: 'note', rows: 2, maxlength: 2000, 'aria-label': 'Note' });
    note.value = conv.note || '';
    return el('section', { class: 'conversation-tools', 'aria-label': 'Conversation' },
      el('button', { type: 'button', onclick: () => update({ archived: !conv.archived }), text: conv.archived ? 'Unarchive' : 'Archive' }),
      el('button', { type: 'button', onclick: () => update({ unread: !conv.marked_unread }), text: conv.marked_unread ? 'Mark read' : 'Mark unread' }),
      labelList(conv.labels, (l) => update({ remove_labels: [l] })),
      el('form', { onsubmit: (e) => { e.preventDefault(); if (label.value.trim()) update({ add_labels: [label.value.trim()] }); } },
        label, el('button', { type: 'submit', text: 'Add label' })),
      el('form', { onsubmit: (e) => { e.preventDefault(); update({ note: note.value }); } },
        note, el('button', { type: 'submit', text: 'Save note' })),
      status);
  }

  function hitRow(hit) {
    const m = hit.message;
    return el('li', {},
      el('a', { href: `#/c/${m.conversation_id}` },
        el('span', { class: 'name', text: m.contact.name }),
        el('span', { class: 'meta', text: when(m.created_at) }),
        el('span', { class: 'preview', text: hit.snippet })));
  }

  // A field that a live redraw replaces or moves: what was typed in it stays, and so do the focus
  // and the caret, so that an update never takes the keyboard from the writer. Call just before
  // `show`; it answers what to call just after. Only for a live redraw of the same page: after a
  // navigation the page shows what its address says.
  function keepTyping(before, after) {
    if (!before || !after) return () => {};
    const focused = before === document.activeElement;
    const caret = [before.selectionStart, before.selectionEnd];
    if (after !== before) after.value = before.value;
    return () => {
      if (!focused || !after.isConnected || document.activeElement === after) return;
      after.focus();
      if (caret[0] != null) after.setSelectionRange(caret[0], caret[1]);
    };
  }

  async function renderInbox(params, live = false) {
    const show = begin();
    document.title = 'Inbox - Pons';
    const q = params.get('q') || '';
    const unanswered = params.get('unanswered') === '1';
    const search = el('input', { type: 'search', name: 'q', value: q, placeholder: 'Search messages',
      'aria-label': 'Search messages' });
    const only = el('input', { type: 'checkbox', name: 'unanswered', checked: unanswered });
    const go = () => { location.hash = inboxLink({ q: search.value.trim(), unanswered: only.checked ? '1' : '' }); };
    only.addEventListener('change', go);
    const toolbar = el('form', { class: 'toolbar', role: 'search', onsubmit: (e) => { e.preventDefault(); go(); } },
      search, el('button', { type: 'submit', text: 'Search' }),
      el('label', {}, only, ' Unanswered only'));
    const list = el('ul', { class: 'conversations', 'aria-label': q ? 'Search results' : 'Conversations' });
    // A live redraw replaces the search field: a search being typed goes on in the new one.
    const draw = (...nodes) => {
      const refocus = live ? keepTyping(app.querySelector('form[role="search"] input[name="q"]'), search)
        : () => {};
      show(toolbar, ...nodes);
      refocus();
    };
    try {
      if (q) {
        const { hits } = await call('search_messages', { query: q, limit: 30 });
        list.append(...hits.map(hitRow));
        draw(hits.length ? list : el('p', { class: 'empty', text: 'No message matches.' }));
      } else {
        const { conversations } = await call('list_conversations', { limit: 100, unanswered });
        list.append(...conversations.map(conversationRow));
        draw(conversations.length ? list
          : el('p', { class: 'empty', text: unanswered ? 'Nobody is waiting for an answer.' : 'No conversations yet.' }));
      }
    } catch (error) {
      draw(problem(error));
    }
  }

  // --- a thread -----------------------------------------------------------------------------

  const ticks = { sent: '✓', delivered: '✓✓', read: '✓✓', failed: '✗', pending: '🕓', dry_run: '·' };

  function tick(m) {
    if (m.direction !== 'outbound') return null;
    const label = m.status || 'pending';
    return el('span', { class: `tick tick-${label}`, title: label, 'aria-label': label, text: ticks[label] || label });
  }

  // The stored file of a message's media: shown, played, or offered as a download (the server
  // serves anything that is not a plain image, sound or video as bytes to save).
  function mediaOf(m) {
    if (!m.media || m.media.state !== 'done') return null;
    const src = `/api/v1/media?message_id=${m.id}`;
    const mime = (m.media.mime_type || '').split(';')[0];
    const label = m.media.caption || m.media.filename || m.type;
    if (/^image\/(jpeg|png|webp|gif)$/.test(mime)) {
      return el('img', { class: 'media', src, alt: label, loading: 'lazy' });
    }
    if (/^audio\/(ogg|mpeg|aac|mp4|amr|opus|wav)$/.test(mime)) {
      return el('audio', { class: 'media', src, controls: true, preload: 'none', 'aria-label': label });
    }
    if (/^video\/(mp4|3gpp)$/.test(mime)) {
      return el('video', { class: 'media', src, controls: true, preload: 'none', 'aria-label': label });
    }
    return el('a', { class: 'media', href: src, download: m.media.filename || '', text: `Download ${m.media.filename || m.type}` });
  }

  function messageItem(m, byWamid, onReply) {
    // When the customer wrote, not when Pons stored it (a redelivery may come much later).
    const quoted = m.reply_to && byWamid.get(m.reply_to);
    const failure = m.error ? el('div', { class: 'error', text: [m.error.title, m.error.details].filter(Boolean).join(': ') }) : null;
    return el('li', { class: `message ${m.direction}`, 'data-id': String(m.id) },
      quoted ? el('div', { class: 'quote', text: quoted.summary }) : null,
      mediaOf(m),
      el('div', { class: 'text', text: m.summary }),
      failure,
      el('div', { class: 'meta' },
        el('span', { text: when(m.sent_at || m.created_at) }), tick(m),
        onReply && m.wamid ? el('button', { type: 'button', text: 'Reply', onclick: () => onReply(m) }) : null));
  }

  // The ids a person can be told apart by: their number and their username, else their BSUID.
  function contactIds(contact) {
    const ids = [contact.wa_id ? `+${contact.wa_id}` : '', contact.username ? `@${contact.username}` : ''];
    return ids.filter(Boolean).join(' · ') || contact.user_id;
  }

  function recipientOf(contact) {
    if (contact.wa_id) return `+${contact.wa_id}`;
    return contact.user_id || contact.name;
  }

  // A file for send_media: stored in the upload folder by Pons, then sent by its name there.
  async function uploadAttachment(file) {
    const res = await fetch(`/api/v1/uploads?filename=${encodeURIComponent(file.name)}`, {
      method: 'POST', body: file, credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': file.type || 'application/octet-stream', 'X-CSRF-Token': who.csrf },
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, data.error || `The server answered ${res.status}.`);
    return data;
  }

  function mediaKind(type) {
    if (type.startsWith('image/')) return 'image';
    if (type.startsWith('video/')) return 'video';
    if (type.startsWith('audio/')) return 'audio';
    return 'document';
  }

  async function sendAttachment(to, file, caption) {
    const stored = await uploadAttachment(file);
    const kind = mediaKind(file.type || '');
    const args = { to, kind, path: stored.path };
    if (caption && kind !== 'audio') args.caption = caption;
    if (kind === 'document') args.filename = file.name;
    return call('send_media', args, 'POST');
  }

  function textComposer(to, state, refresh) {
    const text = el('textarea', { name: 'text', maxlength: '4096', 'aria-label': 'Message' });
    const replying = el('div', { class: 'quote', hidden: true });
    const status = el('p', { role: 'status' });
    const attachment = el('input', { type: 'file', name: 'attachment', 'aria-label': 'Attachment' });
    const send = el('button', { type: 'submit', class: 'primary', text: 'Send' });
    const form = el('form', { class: 'composer', 'aria-label': 'Reply' }, replying, text,
      el('div', { class: 'row' }, send, attachment, status));
    state.replyTo = (m) => {
      state.reply = m;
      replying.hidden = false;
      replying.textContent = `Replying to: ${m.summary}`;
      text.focus();
    };
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      send.disabled = true;
      status.textContent = 'Sending...';
      try {
        const file = attachment.files[0];
        if (!file && !text.value.trim()) throw new ApiError(400, 'Write a message or choose a file.');
        let sent;
        if (file) {
          // The text goes with the file as its caption.
          sent = await sendAttachment(to, file, text.value);
          attachment.value = '';
        } else {
          const args = { to, text: text.value };
          if (state.reply) args.reply_to = state.reply.wamid;
          sent = await call('send_text', args, 'POST');
        }
        text.value = '';
        state.reply = null;
        replying.hidden = true;
        status.textContent = sent.state === 'dry_run' ? 'Recorded (dry run: not sent).' : 'Sent.';
        await refresh();
      } catch (error) {
        status.textContent = error.message;
        status.className = 'error';
      } finally {
        send.disabled = false;
      }
    });
    return form;
  }

  const isBody = (v) => v.component.toLowerCase() === 'body';

  function fillTemplate(body, values) {
    return body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (all, name) => values[name] || all);
  }

  async function templateComposer(to, refresh) {
    const status = el('p', { role: 'status' });
    let templates = [];
    try {
      ({ templates } = await call('list_templates', {}));
    } catch (error) {
      return el('div', { class: 'composer' }, problem(error));
    }
    const intro = el('p', { text: 'The 24-hour window is closed: only an approved template can be sent.' });
    if (!templates.length) {
      return el('div', { class: 'composer' }, intro,
        el('p', { class: 'empty', text: 'No approved template is stored. An admin can sync them from Meta (sync_templates).' }));
    }
    const pick = el('select', { name: 'template', 'aria-label': 'Template' },
      ...templates.map((t, i) => el('option', { value: String(i), text: `${t.name} (${t.language}, ${t.category})` })));
    const fields = el('div', { class: 'row' });
    const preview = el('div', { class: 'preview-box', 'aria-label': 'Preview' });
    const send = el('button', { type: 'submit', class: 'primary', text: 'Send template' });
    const chosen = () => templates[Number(pick.value)];
    const values = () => Object.fromEntries([...fields.querySelectorAll('input')].map((i) => [i.name, i.value]));
    const update = () => { preview.textContent = fillTemplate(chosen().body, values()); };
    const layout = () => {
      const bodyVariables = chosen().variables.filter(isBody);
      fields.replaceChildren(...bodyVariables.map((v) => el('label', { text: `{{${v.name}}}` },
        el('input', { name: v.name, required: true, maxlength: '1024', oninput: update }))));
      update();
    };
    pick.addEventListener('change', layout);
    const form = el('form', { class: 'composer', 'aria-label': 'Template' }, intro, pick, fields, preview,
      el('div', { class: 'row' }, send, status));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const t = chosen();
      const filled = values();
      const positional = t.variables.some((v) => isBody(v) && v.positional);
      const parameters = positional
        ? t.variables.filter(isBody).map((v) => filled[v.name])
        : filled;
      send.disabled = true;
      status.textContent = 'Sending...';
      try {
        const args = { to, name: t.name, language: t.language };
        if (t.variables.some(isBody)) args.parameters = parameters;
        const sent = await call('send_template', args, 'POST');
        status.textContent = sent.state === 'dry_run' ? 'Recorded (dry run: not sent).' : 'Sent.';
        await refresh();
      } catch (error) {
        status.textContent = error.message;
        status.className = 'error';
      } finally {
        send.disabled = false;
      }
    });
    layout();
    return form;
  }

  async function renderThread(id) {
    const state = {};
    let composer = null;
    // `live`: a redraw for a change made elsewhere, where what is being typed here is kept.
    const draw = async (live = false) => {
      const show = begin();
      const { messages } = await call('get_messages', { conversation_id: id, limit: 100 });
      if (!messages.length) return show(el('p', { class: 'empty', text: 'No messages in this conversation.' }));
      const contact = messages[0].contact;
      document.title = `${contact.name} - Pons`;
      const to = recipientOf(contact);
      const status = await call('get_window_status', { contact: to });
      const [conv] = (await call('list_conversations', { conversation_id: id, include_archived: true })).conversations;
      const mine = status.windows.find((w) => w.conversation_id === id);
      const windowOpen = Boolean(mine && mine.window.open);
      const byWamid = new Map(messages.filter((m) => m.wamid).map((m) => [m.wamid, m]));
      const list = el('ol', { class: 'messages', 'aria-label': 'Messages' },
        ...messages.map((m) => messageItem(m, byWamid, canSend && windowOpen ? (r) => state.replyTo(r) : null)));
      // The composer survives a redraw (a half-typed reply is not lost) unless the window changed.
      if (canSend && (!composer || composer.windowOpen !== windowOpen)) {
        composer = { windowOpen, node: windowOpen ? textComposer(to, state, draw) : await templateComposer(to, draw) };
      }
      // Redrawing moves the composer, and a field taken out of the page loses the focus.
      const typing = composer && composer.node.contains(document.activeElement) ? document.activeElement : null;
      const tools = conv && canSend ? conversationTools(conv, draw) : (conv ? labelList(conv.labels) : null);
      // The label and note fields are new at each redraw: a live one keeps what is typed in them.
      const keptFields = live && tools
        ? ['input[name="label"]', 'textarea[name="note"]'].map((field) =>
          keepTyping(app.querySelector(`section.conversation-tools ${field}`), tools.querySelector(field)))
        : [];
      const refocus = keepTyping(typing, typing);
      show(el('div', { class: 'thread-head' },
        el('a', { href: '#/', text: '← Inbox' }),
        el('h2', { text: contact.name }),
        el('span', { class: 'meta', text: contactIds(contact) }),
        windowState(mine && mine.window),
        conv && conv.archived ? el('span', { class: 'meta', text: 'Archived' }) : null),
      tools,
      conv && !canSend && conv.note ? el('p', { class: 'meta', text: `Note: ${conv.note}` }) : null,
      list, composer ? composer.node : null);
      refocus();
      for (const refocusField of keptFields) refocusField();
      // Opening a thread reads it, as on a phone: the newest received message is marked read
      // once (its own change must not mark it again).
      const received = messages.filter((m) => m.direction === 'inbound');
      const newest = received.length ? received[received.length - 1].id : 0;
      // One at a time: while Meta is slow to answer one, the next waits rather than holding
      // another of the workers every reader shares.
      if (canSend && newest > (state.marked || 0) && !state.marking && document.visibilityState === 'visible') {
        state.marked = newest;
        state.marking = true;
        call('mark_read', { message_id: newest }, 'POST').catch(() => {}).finally(() => { state.marking = false; });
      }
    };
    try {
      await draw();
    } catch (error) {
      begin()(el('a', { href: '#/', text: '← Inbox' }), problem(error));
    }
    return draw;
  }

  // --- templates ----------------------------------------------------------------------------

  async function renderTemplates() {
    document.title = 'Templates - Pons';
    const status = el('p', { role: 'status' });
    const draw = async () => {
      const show = begin();
      const data = await loaded(show, [el('h2', { text: 'Templates' })], call('list_templates', { status: 'all' }));
      if (!data) return;
      const synced = (data.synced || []).map((s) => el('p', { class: 'meta',
        text: `${s.waba_id}: ${s.synced_at ? `synced ${when(s.synced_at)}` : 'never synced'}${s.error ? ` (last attempt failed: ${s.error})` : ''}` }));
      const sync = el('button', { type: 'button', class: 'primary', text: 'Sync now' });
      sync.addEventListener('click', async () => {
        sync.disabled = true;
        status.textContent = 'Syncing with Meta...';
        try {
          const result = await call('sync_templates', {}, 'POST');
          status.textContent = result.accounts.map((a) => a.error ? `${a.waba_id}: ${a.error}`
            : `${a.waba_id}: ${a.templates} templates (${a.added} added, ${a.updated} updated, ${a.removed} removed)`).join('; ');
          await draw();
        } catch (error) {
          status.textContent = error.message;
        } finally {
          sync.disabled = false;
        }
      });
      const table = el('table', { class: 'keys', 'aria-label': 'Templates' },
        el('thead', {}, el('tr', {}, ...['Name', 'Language', 'Category', 'Status', 'Body'].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...data.templates.map((t) => el('tr', {},
          el('td', { text: t.name }), el('td', { text: t.language }), el('td', { text: t.category }),
          el('td', { text: t.rejected_reason ? `${t.status}: ${t.rejected_reason}` : t.status }),
          el('td', { text: t.body })))));
      show(el('h2', { text: 'Templates' }), ...synced,
        who.role === 'member' ? null : el('div', { class: 'row' }, sync, status),
        data.templates.length ? table : el('p', { class: 'empty', text: 'No templates stored yet.' }));
    };
    await draw();
  }

  // --- API keys (admins and owners) ---------------------------------------------------------

  const keysApi = (path, body) => api(`/api/v1/keys${path}`, body);

  // A button that acts on its second click: what it does cannot be undone.
  function twoClick(label, action) {
    const button = el('button', { type: 'button', text: label });
    button.addEventListener('click', async () => {
      if (button.dataset.armed !== 'yes') {
        button.dataset.armed = 'yes';
        button.textContent = `Confirm ${label.toLowerCase()}`;
        return;
      }
      button.disabled = true;
      await action();
    });
    return button;
  }

  function keyRow(k, redraw) {
    // A key in use stops working at once.
    const revoke = twoClick('Revoke', async () => {
      await keysApi('/revoke', { id: k.id }).catch(() => {});
      await redraw();
    });
    return el('tr', {},
      el('td', { text: k.name }), el('td', { text: k.prefix }), el('td', { text: k.scopes.join(', ') }),
      el('td', { text: k.account || 'every account' }), el('td', { text: when(k.createdAt) }),
      el('td', { text: k.lastUsedAt ? when(k.lastUsedAt) : 'never' }),
      el('td', { text: k.expiresAt ? when(k.expiresAt) : 'never' }), el('td', { text: k.state }),
      el('td', {}, k.state === 'active' ? revoke : null));
  }

  // Assistants a person signed in with OAuth: who allowed which application, and a way to end it.
  function grantsSection(grants, redraw) {
    const head = el('h2', { text: 'Signed-in applications (OAuth)' });
    if (!grants.length) return [head, el('p', { class: 'empty', text: 'No application has been allowed yet.' })];
    const rows = grants.map((g) => el('tr', {},
      el('td', { text: g.client }), el('td', { text: g.redirectHost }), el('td', { text: g.user }),
      el('td', { text: g.scopes.split(' ').join(', ') }), el('td', { text: g.account || 'every account' }),
      el('td', { text: when(g.createdAt) }), el('td', { text: g.lastUsedAt ? when(g.lastUsedAt) : 'never' }),
      el('td', { text: g.state }),
      el('td', {}, g.state === 'active' ? twoClick('Revoke', async () => {
        await api('/api/v1/oauth-grants/revoke', { id: g.id }).catch(() => {});
        await redraw();
      }) : null)));
    return [head, el('table', { class: 'keys', 'aria-label': 'Signed-in applications' },
      el('thead', {}, el('tr', {}, ...['Application', 'Returns to', 'User', 'Scopes', 'Account', 'Allowed', 'Last used', 'State', '']
        .map((h) => el('th', { text: h })))),
      el('tbody', {}, ...rows))];
  }

  async function renderKeys() {
    document.title = 'API keys - Pons';
    const created = el('div', { role: 'status' });
    const draw = async () => {
      const show = begin();
      const data = await loaded(show, [el('h2', { text: 'API keys' })], keysApi(''));
      if (!data) return;
      const { keys } = data;
      const name = el('input', { name: 'name', required: true, maxlength: '100', 'aria-label': 'Key name' });
      const send = el('input', { type: 'checkbox', name: 'send' });
      const days = el('input', { type: 'number', name: 'expires_days', min: '1', max: '3650', 'aria-label': 'Expires in days' });
      const form = el('form', { class: 'composer', 'aria-label': 'New key' },
        el('div', { class: 'row' }, name, el('label', {}, send, ' may send'), days,
          el('button', { type: 'submit', class: 'primary', text: 'Create key' })));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const body = { name: name.value, scopes: send.checked ? ['read', 'send'] : ['read'] };
        if (days.value) body.expires_days = Number(days.value);
        try {
          const made = await keysApi('', body);
          created.replaceChildren(
            el('p', { text: `Key "${made.key.name}" created. Copy it now: it is not shown again.` }),
            el('code', { class: 'secret', text: made.secret }));
          await draw();
        } catch (error) {
          created.replaceChildren(problem(error));
        }
      });
      const table = el('table', { class: 'keys', 'aria-label': 'API keys' },
        el('thead', {}, el('tr', {}, ...['Name', 'Prefix', 'Scopes', 'Account', 'Created', 'Last used', 'Expires', 'State', '']
          .map((h) => el('th', { text: h })))),
        el('tbody', {}, ...keys.map((k) => keyRow(k, draw))));
      const grants = await api('/api/v1/oauth-grants').then((g) => g.grants).catch(() => null);
      show(el('h2', { text: 'API keys' }), created, form, keys.length ? table : el('p', { class: 'empty', text: 'No keys yet.' }),
        ...(grants ? grantsSection(grants, draw) : []));
    };
    await draw();
    return draw;
  }

  // --- the webhook log (admins and owners) ----------------------------------------------------

  async function renderWebhookLog(params, live = false) {
    const show = begin();
    document.title = 'Webhook log - Pons';
    const signature = el('select', { name: 'signature', 'aria-label': 'Signature' },
      ...[['', 'any signature'], ['valid', 'valid'], ['invalid', 'invalid'], ['missing', 'missing']]
        .map(([value, text]) => el('option', { value, text, selected: params.get('signature') === value })));
    const status = el('input', { type: 'number', name: 'status', min: '100', max: '599', placeholder: 'status',
      value: params.get('status') || '', 'aria-label': 'HTTP status' });
    const go = () => {
      const query = new URLSearchParams({ signature: signature.value, status: status.value });
      for (const [key, value] of [...query]) if (!value) query.delete(key);
      location.hash = `#/webhooks${query.toString() ? `?${query}` : ''}`;
    };
    signature.addEventListener('change', go);
    const filters = el('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); go(); } },
      signature, status, el('button', { type: 'submit', text: 'Filter' }));
    const query = new URLSearchParams();
    for (const key of ['signature', 'status']) if (params.get(key)) query.set(key, params.get(key));
    const data = await loaded(show, [el('h2', { text: 'Webhook log' }), filters], api(`/api/v1/webhook-log?${query}`));
    if (!data) return;
    // Every webhook redraws this page: the requests opened to read stay open.
    const opened = new Set(live ? [...app.querySelectorAll('details[data-request][open]')].map((d) => d.dataset.request) : []);
    const rows = data.requests.map((r) => el('li', {},
      el('details', { 'data-request': String(r.id), open: opened.has(String(r.id)) },
        el('summary', { text: `${when(r.receivedAt)} · ${r.status} · signature ${r.signature || 'n/a'} · ` +
          `${r.messages} messages, ${r.statuses} statuses${r.duplicates ? `, ${r.duplicates} duplicates` : ''}` +
          `${r.phoneNumberId ? ` · number ${r.phoneNumberId}` : ''}` }),
        r.notes ? el('p', { class: 'error', text: r.notes }) : null,
        el('pre', { class: 'preview-box', text: r.body }))));
    // Every webhook redraws this page: a status being typed goes on in the new field.
    const refocus = live ? keepTyping(app.querySelector('form.toolbar input[name="status"]'), status) : () => {};
    show(el('h2', { text: 'Webhook log' }), filters,
      rows.length ? el('ul', { class: 'conversations', 'aria-label': 'Webhook requests' }, ...rows)
        : el('p', { class: 'empty', text: 'No webhook request matches.' }));
    refocus();
  }

  // --- forwarding targets and deliveries (admins and owners) ---------------------------------

  function health(t) {
    if (!t.enabled) return el('span', { class: 'window-closed', text: 'disabled' });
    if (t.consecutiveFailures > 0) {
      return el('span', { class: 'error', text: `failing: ${t.consecutiveFailures} in a row, last ${when(t.lastFailureAt)}` });
    }
    if (t.lastSuccessAt) return el('span', { class: 'window-open', text: `healthy, last ${when(t.lastSuccessAt)}` });
    return el('span', { class: 'empty', text: 'nothing delivered yet' });
  }

  // The settings a target form holds, as the API takes them.
  function targetFields(t, eventTypes) {
    const url = el('input', { type: 'url', name: 'url', required: true, value: t.url || '', placeholder: 'https://...', 'aria-label': 'URL' });
    const description = el('input', { name: 'description', value: t.description || '', placeholder: 'description', 'aria-label': 'Description' });
    const number = el('input', { name: 'phoneNumberId', value: t.phoneNumberId || '', placeholder: 'every number', 'aria-label': 'Phone number ID' });
    const chosen = new Set(t.eventTypes || eventTypes);
    const boxes = eventTypes.map((type) => el('input', { type: 'checkbox', value: type, checked: chosen.has(type), 'aria-label': type }));
    const attempts = el('input', { type: 'number', name: 'maxAttempts', min: '1', max: '50', value: t.maxAttempts || 8, 'aria-label': 'Attempts' });
    const timeout = el('input', { type: 'number', name: 'timeoutMs', min: '100', max: '300000', value: t.timeoutMs || 10000, 'aria-label': 'Timeout (ms)' });
    const nodes = [
      el('div', { class: 'row' }, url, description, number),
      el('div', { class: 'row' }, ...boxes.map((b) => el('label', { class: 'inline' }, b, b.value))),
      el('div', { class: 'row' }, el('label', { class: 'inline' }, 'attempts ', attempts), el('label', { class: 'inline' }, 'timeout ms ', timeout)),
    ];
    const value = () => ({
      url: url.value, description: description.value, phoneNumberId: number.value,
      eventTypes: boxes.filter((b) => b.checked).map((b) => b.value),
      maxAttempts: Number(attempts.value), timeoutMs: Number(timeout.value),
    });
    return { nodes, value };
  }

  function secretShown(status, text, secret) {
    status.replaceChildren(el('p', { text }), el('code', { class: 'secret', text: secret }));
  }

  function targetRow(t, eventTypes, status, redraw) {
    const act = (path, body, then) => async () => {
      try {
        const data = await targetsApi(path, body);
        if (then) then(data);
        else status.replaceChildren();
      } catch (error) {
        status.replaceChildren(problem(error));
      }
      await redraw();
    };
    const test = el('button', { type: 'button', text: 'Send test event' });
    test.addEventListener('click', async () => {
      test.disabled = true;
      try {
        const r = await targetsApi('/test', { id: t.id });
        status.replaceChildren(el('p', { class: r.ok ? 'window-open' : 'error',
          text: r.ok ? `Target ${t.id} answered 200 in ${r.durationMs} ms: delivery works.`
            : `Target ${t.id} failed after ${r.durationMs} ms: ${r.error || `HTTP ${r.statusCode}`}` }));
      } catch (error) {
        status.replaceChildren(problem(error));
      }
      test.disabled = false;
    });
    const edit = targetFields(t, eventTypes);
    const editForm = el('form', { class: 'composer', 'aria-label': `Edit target ${t.id}` }, ...edit.nodes,
      el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary', text: 'Save' })));
    editForm.addEventListener('submit', (e) => {
      e.preventDefault();
      act('/update', { id: t.id, ...edit.value() })();
    });
    return el('tr', {},
      el('td', {}, el('div', { text: t.url }), el('div', { class: 'meta', text: t.description })),
      el('td', { text: t.phoneNumberId || 'every number' }),
      el('td', { text: t.eventTypes.length === eventTypes.length ? 'all' : t.eventTypes.join(', ') }),
      el('td', {}, health(t)),
      el('td', {}, el('a', { href: `#/forwarding/${t.id}`, text: `${t.queued} queued, ${t.dead} dead, ${t.succeeded} delivered` })),
      el('td', { class: 'actions' }, test,
        el('button', { type: 'button', text: t.enabled ? 'Disable' : 'Enable', onclick: act('/update', { id: t.id, enabled: !t.enabled }) }),
        twoClick('Rotate secret', act('/rotate', { id: t.id }, (made) =>
          secretShown(status, `Target ${t.id} has a new signing secret. Copy it now: it is not shown again.`, made.secret))),
        twoClick('Remove', act('/remove', { id: t.id })),
        el('details', {}, el('summary', { text: 'Edit' }), editForm)));
  }

  const targetsApi = (path, body) => api(`/api/v1/targets${path}`, body);

  async function renderForwarding() {
    document.title = 'Forwarding - Pons';
    const status = el('div', { role: 'status' });
    const draw = async () => {
      const show = begin();
      const data = await loaded(show, [el('h2', { text: 'Forwarding' })], targetsApi(''));
      if (!data) return;
      const { targets, eventTypes } = data;
      const fields = targetFields({}, eventTypes);
      const form = el('form', { class: 'composer', 'aria-label': 'New target' }, ...fields.nodes,
        el('div', { class: 'row' }, el('button', { type: 'submit', class: 'primary', text: 'Add target' })));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          const made = await targetsApi('', fields.value());
          secretShown(status, `Target ${made.target.id} added. Its signing secret, shown this once:`, made.secret);
          await draw();
        } catch (error) {
          status.replaceChildren(problem(error));
        }
      });
      const table = el('table', { class: 'keys', 'aria-label': 'Forwarding targets' },
        el('thead', {}, el('tr', {}, ...['Target', 'Number', 'Events', 'Health', 'Deliveries', ''].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...targets.map((t) => targetRow(t, eventTypes, status, draw))));
      show(el('h2', { text: 'Forwarding' }), status, form,
        targets.length ? table : el('p', { class: 'empty', text: 'No forwarding targets yet: events stay in Pons.' }));
    };
    await draw();
    return draw;
  }

  function attemptList(d) {
    if (!d.attemptLog.length) return el('p', { class: 'empty', text: 'No attempts yet.' });
    return el('ol', { class: 'attempts' }, ...d.attemptLog.map((a) => el('li', {
      text: `${when(a.startedAt)}: ${a.statusCode === null ? 'no answer' : `HTTP ${a.statusCode}`}` +
        ` in ${a.durationMs} ms${a.error ? `, ${a.error}` : ''}` })));
  }

  async function renderDeliveries(targetId) {
    document.title = 'Deliveries - Pons';
    const status = el('p', { role: 'status' });
    const draw = async () => {
      const show = begin();
      const head = [el('h2', { text: `Deliveries to target ${targetId}` }), el('p', {}, el('a', { href: '#/forwarding', text: 'All targets' }))];
      const data = await loaded(show, head, api(`/api/v1/deliveries?target=${targetId}&limit=100`));
      if (!data) return;
      const rows = data.deliveries.map((d) => {
        const more = el('details', {}, el('summary', { text: 'Attempts and body' }));
        more.addEventListener('toggle', async () => {
          if (!more.open || more.dataset.loaded) return;
          more.dataset.loaded = 'yes';
          try {
            const { delivery } = await api(`/api/v1/deliveries/detail?id=${d.id}`);
            more.append(attemptList(delivery),
              el('pre', { class: 'preview-box', text: JSON.stringify(delivery.body, null, 2) }));
          } catch (error) {
            more.append(problem(error));
          }
        });
        const retry = d.state === 'dead' || d.state === 'pending'
          ? el('button', { type: 'button', text: 'Retry now', onclick: async () => {
            try {
              await api('/api/v1/deliveries/retry', { id: d.id });
              status.textContent = `Delivery ${d.id} is due again now.`;
            } catch (error) {
              status.textContent = error.message;
            }
            await draw();
          } }) : null;
        return el('tr', {},
          el('td', { text: String(d.id) }), el('td', { text: d.eventType }), el('td', { class: `state-${d.state}`, text: d.state }),
          el('td', { text: String(d.attempts) }),
          el('td', { text: d.lastStatusCode === null ? (d.lastError || '') : `HTTP ${d.lastStatusCode}${d.lastError ? `: ${d.lastError}` : ''}` }),
          el('td', { text: when(d.createdAt) }), el('td', {}, retry, more));
      });
      show(...head, status, rows.length
        ? el('table', { class: 'keys', 'aria-label': 'Deliveries' },
          el('thead', {}, el('tr', {}, ...['Id', 'Event', 'State', 'Attempts', 'Last answer', 'Created', ''].map((h) => el('th', { text: h })))),
          el('tbody', {}, ...rows))
        : el('p', { class: 'empty', text: 'No deliveries to this target yet.' }));
    };
    await draw();
    return draw;
  }

  // --- accounts and numbers -------------------------------------------------------------------

  async function renderAccounts() {
    const show = begin();
    document.title = 'Accounts - Pons';
    const head = [el('h2', { text: 'Accounts and numbers' })];
    const data = await loaded(show, head, api('/api/v1/accounts'));
    if (!data) return;
    const yesNo = (v) => (v ? 'configured' : 'missing');
    const sections = data.accounts.map((a) => el('section', { class: 'composer', 'aria-label': `Account ${a.wabaId}` },
      el('h3', { text: a.name ? `${a.name} (${a.wabaId})` : `Account ${a.wabaId}` }),
      el('p', { class: 'meta', text: `App secret ${yesNo(a.credentials.appSecret)} · access token ${yesNo(a.credentials.accessToken)}` +
        ` · verify token ${yesNo(a.credentials.verifyToken)}` }),
      a.phoneNumbers.length
        ? el('table', { class: 'keys', 'aria-label': `Numbers of ${a.wabaId}` },
          el('thead', {}, el('tr', {}, ...['Number', 'Name', 'Phone number ID', ''].map((h) => el('th', { text: h })))),
          el('tbody', {}, ...a.phoneNumbers.map((p) => el('tr', {},
            el('td', { text: p.displayPhoneNumber || 'not known yet' }), el('td', { text: p.verifiedName }),
            el('td', { text: p.phoneNumberId }), el('td', { text: p.default ? 'default' : '' })))))
        : el('p', { class: 'empty', text: 'No numbers recorded yet.' })));
    show(...head, ...(sections.length ? sections : [el('p', { class: 'empty', text: 'No account is recorded yet: configure one and start pons-webhook, or wait for its first webhook.' })]));
  }

  // --- users (owners) -----------------------------------------------------------------------

  const usersApi = (path, body) => api(`/api/v1/users${path}`, body);

  // A user's role, changeable by an owner for anyone but themselves.
  function roleOf(u, act) {
    if (u.email === who.email) return u.role;
    const pick = el('select', { 'aria-label': `Role of ${u.email}` },
      ...['member', 'admin', 'owner'].map((r) => el('option', { value: r, text: r, selected: r === u.role })));
    pick.addEventListener('change', () => act('/role', { email: u.email, role: pick.value })());
    return pick;
  }

  async function renderUsers() {
    document.title = 'Users - Pons';
    const status = el('p', { role: 'status' });
    const draw = async () => {
      const show = begin();
      const data = await loaded(show, [el('h2', { text: 'Users' })], usersApi(''));
      if (!data) return;
      const { users } = data;
      const act = (path, body) => async () => {
        try {
          await usersApi(path, body);
          status.textContent = '';
        } catch (error) {
          status.textContent = error.message;
        }
        await draw();
      };
      const rows = users.map((u) => el('tr', {},
        el('td', { text: u.email }), el('td', {}, roleOf(u, act)), el('td', { text: u.account || 'every account' }),
        el('td', { text: u.lastLoginAt ? when(u.lastLoginAt) : 'never' }),
        el('td', { text: u.disabled ? 'disabled' : 'active' }),
        el('td', {}, u.email === who.email ? null : twoClick(u.disabled ? 'Enable' : 'Disable',
          act('/disable', { email: u.email, disabled: !u.disabled })),
        u.email === who.email ? null : twoClick('Remove', act('/remove', { email: u.email })))));
      const email = el('input', { type: 'email', name: 'email', required: true, 'aria-label': 'Email' });
      const role = el('select', { name: 'role', 'aria-label': 'Role' },
        ...['member', 'admin', 'owner'].map((r) => el('option', { value: r, text: r })));
      const password = el('input', { type: 'password', name: 'password', required: true, minlength: '12',
        autocomplete: 'new-password', 'aria-label': 'Password' });
      const form = el('form', { class: 'composer', 'aria-label': 'New user' },
        el('div', { class: 'row' }, email, role, password, el('button', { type: 'submit', class: 'primary', text: 'Add user' })));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await usersApi('', { email: email.value, role: role.value, password: password.value });
          status.textContent = `${email.value} can now sign in.`;
          await draw();
        } catch (error) {
          status.textContent = error.message;
        }
      });
      show(el('h2', { text: 'Users' }), status, form,
        el('table', { class: 'keys', 'aria-label': 'Users' },
          el('thead', {}, el('tr', {}, ...['Email', 'Role', 'Account', 'Last sign-in', 'State', ''].map((h) => el('th', { text: h })))),
          el('tbody', {}, ...rows)));
    };
    await draw();
  }

  // --- routing and live updates -------------------------------------------------------------

  async function route() {
    const hash = location.hash || '#/';
    const thread = /^#\/c\/(\d+)$/.exec(hash);
    const params = new URLSearchParams(hash.includes('?') ? hash.slice(hash.indexOf('?') + 1) : '');
    // What a live change redraws is this page from now on, even while it is first drawn.
    if (hash === '#/keys') {
      current = { render: () => {} };
      await renderKeys();
    } else if (hash === '#/webhooks' || hash.startsWith('#/webhooks?')) {
      current = { render: () => renderWebhookLog(params, true) };
      await renderWebhookLog(params);
    } else if (hash === '#/forwarding') {
      // Forms and open details would be lost to a live redraw: these pages redraw on a click.
      current = { render: () => {} };
      await renderForwarding();
    } else if (/^#\/forwarding\/\d+$/.test(hash)) {
      current = { render: () => {} };
      await renderDeliveries(Number(hash.slice('#/forwarding/'.length)));
    } else if (hash === '#/accounts') {
      current = { render: () => renderAccounts() };
      await renderAccounts();
    } else if (hash === '#/users') {
      current = { render: () => {} };
      await renderUsers();
    } else if (hash === '#/templates') {
      current = { render: () => renderTemplates() };
      await renderTemplates();
    } else if (thread) {
      // A change while the thread is first drawn (a photo downloaded meanwhile) may be missing
      // from what that draw read: it is drawn again once the first draw is done.
      let draw = null;
      let missed = false;
      const here = { render: () => (draw ? draw(true).catch(() => {}) : (missed = true)) };
      current = here;
      draw = await renderThread(Number(thread[1]));
      if (missed && current === here) await draw(true).catch(() => {});
    } else {
      current = { render: () => renderInbox(params, true) };
      await renderInbox(params);
    }
  }

  // Changes come as events; several in a burst cause one redraw.
  let pending = null;
  function changed() {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      current.render();
    }, 100);
  }

  function listen() {
    if (!window.EventSource) return;
    const events = new EventSource('/api/v1/events');
    events.addEventListener('changed', changed);
    // Changes while the stream was down are not replayed: after a reconnection, draw afresh.
    let opened = false;
    events.addEventListener('ready', () => {
      if (opened) changed();
      opened = true;
    });
  }

  window.addEventListener('hashchange', route);
  route();
  listen();
})();
