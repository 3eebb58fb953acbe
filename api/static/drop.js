// Coffre: the helper's page. Each photo is made smaller, shown as a
// thumbnail and sent at once, one request per page, with a progress bar.
// Each page says honestly where it is: "preparing", "ready, not sent yet"
// (waiting on the server, encrypted), "sent" (Send was tapped), "received
// by the vault" (the receipt came back). A file that is not a photo or a
// PDF is refused at once, by name. Leaving with pages not yet sent asks
// first. Small thumbnails are kept in sessionStorage so that they survive
// a reload (they go with the tab).
// The pages wait on the server encrypted to a key this page keeps (in
// sessionStorage, for a reload), so a dropped connection loses at most the
// page in flight: it is sent again, the others are not. "Send" asks the
// server to put the pages, in the order shown, into the vault as one paper.
// The server's answer to each page carries its readability check: the
// cleaned thumbnail replaces the photo's, and a page to retake shows why
// with "retake" and "keep anyway" (verdict.js); Send waits until each such
// page is retaken or kept. A page whose outline the check was unsure of
// can have its corners placed by hand (corners.js): the page is sent again
// with them to be checked, and Send carries them.
(function () {
  'use strict';
  var form = document.getElementById('drop');
  if (!form || !window.fetch || !window.crypto || !crypto.getRandomValues || !window.coffreShrink || !window.coffreVerdict) return;
  var ds = form.dataset;
  var base = '/d/' + ds.token;
  var list = document.getElementById('pages');
  var status = document.getElementById('status');
  var sendBtn = document.getElementById('send');
  var camera = document.getElementById('camera');
  var gallery = document.getElementById('gallery');
  var chosen = form.querySelector('[data-chosen]');
  var camLabel = form.querySelector('[data-camera-label]');
  var camLabel0 = camLabel ? camLabel.textContent : '';
  var maxPages = +ds.maxPages || 20;
  var storeKey = 'coffre.drop.' + ds.token.slice(0, 16);
  var pages = []; // in the order shown: {n, url, state, li, bar, text}
  var offline = false, sendTimer = 0;
  var next = 1, busy = false, wantSend = false, retakeAt = -1, delay = 1000, finished = false, sending = false;
  var thumbs = {};
  var checks = {}; // by page number: {check (without its thumbnail), kept}
  var placed = {}; // by page number: the corners placed by hand (corners.js)
  // The requests go without cookies: each says the page's language, so
  // that what the server answers (a refusal, a check) is in the language
  // the helper chose, not the phone's.
  var lang = document.documentElement.lang || '';

  function msg(name, arg) {
    if (ds['plural' + name]) return window.coffrePlural(ds['plural' + name], arg);
    return (ds['msg' + name] || '').replace('{0}', arg);
  }
  function withLang(h) {
    if (lang) h['Accept-Language'] = lang;
    return h;
  }
  function b64url(bytes) {
    var s = '';
    bytes.forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(storeKey) || 'null'); } catch (e) { saved = null; }
  try { thumbs = JSON.parse(sessionStorage.getItem(storeKey + '.t') || '{}') || {}; } catch (e) { thumbs = {}; }
  try { checks = JSON.parse(sessionStorage.getItem(storeKey + '.c') || '{}') || {}; } catch (e) { checks = {}; }
  try { placed = JSON.parse(sessionStorage.getItem(storeKey + '.k') || '{}') || {}; } catch (e) { placed = {}; }
  var key = saved && saved.key;
  if (!key) {
    var raw = new Uint8Array(32);
    crypto.getRandomValues(raw);
    key = b64url(raw);
  }
  // Pages removed or retaken are taken back from the server at once (not
  // left there, encrypted, until the send or the upload's expiry); a
  // delete the network lost is tried again when it comes back, or after
  // a reload.
  var gone = (saved && saved.gone) || [];
  var flushing = false;
  function takeBack(n) {
    if (gone.indexOf(n) < 0) gone.push(n);
    save();
    flush();
  }
  function flush() {
    if (flushing || !gone.length) return;
    flushing = true;
    var n = gone[0];
    fetch(base + '/pages/' + n, { method: 'DELETE', headers: withLang({ 'X-Upload-Key': key }), credentials: 'omit' })
      .then(function (r) {
        flushing = false;
        if (r.status === 429 || r.status >= 500) { setTimeout(flush, 5000); return; }
        gone = gone.filter(function (x) { return x !== n; });
        save();
        flush();
      }, function () { flushing = false; });
  }
  window.addEventListener('online', flush);
  function save() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify({ key: key, next: next, order: pages.map(function (p) { return p.n; }), gone: gone }));
      sessionStorage.setItem(storeKey + '.t', JSON.stringify(thumbs));
      sessionStorage.setItem(storeKey + '.c', JSON.stringify(checks));
      sessionStorage.setItem(storeKey + '.k', JSON.stringify(placed));
    } catch (e) { /* private mode: no resume after a reload */ }
  }
  // thumb makes a small, blurry-enough picture of a page (160 px long side)
  // to show it again after a reload.
  function thumb(p) {
    if (!window.createImageBitmap || !/^image\//.test(p.blob.type)) return;
    createImageBitmap(p.blob).then(function (bmp) {
      var s = Math.min(1, 160 / Math.max(bmp.width, bmp.height));
      var c = document.createElement('canvas');
      c.width = Math.round(bmp.width * s);
      c.height = Math.round(bmp.height * s);
      c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
      if (bmp.close) bmp.close();
      thumbs[p.n] = c.toDataURL('image/jpeg', 0.6);
      save();
    }).catch(function () { /* no thumbnail: the page is still there */ });
  }

  function button(icon, label, fn) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn';
    b.setAttribute('aria-label', label);
    b.title = label;
    var svg = document.querySelector('.i').cloneNode(true);
    svg.querySelector('use').setAttribute('href', svg.querySelector('use').getAttribute('href').replace(/#.*/, '#' + icon));
    b.appendChild(svg);
    b.addEventListener('click', fn);
    return b;
  }
  function render() {
    list.textContent = '';
    pages.forEach(function (p, i) {
      var li = document.createElement('li');
      var img = document.createElement('img');
      img.alt = msg('Page', i + 1);
      if (p.url || thumbs[p.n]) img.src = p.url || thumbs[p.n];
      var title = document.createElement('strong');
      title.textContent = msg('Page', i + 1);
      var text = document.createElement('span');
      text.className = 'pstate';
      var bar = document.createElement('progress');
      bar.max = 100;
      bar.setAttribute('aria-label', msg('Page', i + 1));
      var btns = document.createElement('div');
      btns.className = 'pbtns';
      // The first page cannot go up, nor the last down: off, not silent.
      btns.appendChild(button('up', msg('Left', i + 1), function () { move(i, -1); })).disabled = i === 0;
      btns.appendChild(button('down', msg('Right', i + 1), function () { move(i, 1); })).disabled = i === pages.length - 1;
      btns.appendChild(button('camera', msg('Retake', i + 1), function () { retakeAt = i; camera.click(); }));
      btns.appendChild(button('trash', msg('Remove', i + 1), function () { delete thumbs[p.n]; delete checks[p.n]; delete placed[p.n]; pages.splice(i, 1); takeBack(p.n); render(); }));
      var info = document.createElement('div');
      info.appendChild(title);
      info.appendChild(document.createElement('br'));
      info.appendChild(text);
      info.appendChild(bar);
      li.appendChild(window.coffreZoomable(form, img, i + 1, function () { return p.blob; }));
      li.appendChild(info);
      li.appendChild(btns);
      var c = checks[p.n];
      li.setAttribute('data-verdict', !c ? '' : c.kept ? 'kept' : c.check.verdict);
      if (c && !c.kept) {
        var box = window.coffreVerdict(form, c.check, function () { retakeAt = pages.indexOf(p); camera.click(); },
          function () { c.kept = true; window.coffreVerdictDone(form); save(); render(); }, c.again);
        if (box) li.appendChild(box);
      }
      // The outline unsure, or placed by hand: the corners can be placed
      // on the photo (kept in memory only), and the page checked again.
      if (p.blob && window.coffreCorners && p.state === 'sent' && !sending && (placed[p.n] || (c && window.coffreCornersWanted(c.check)))) {
        li.appendChild(window.coffreCornersBlock(form, !!placed[p.n], function () {
          window.coffreCorners(p.blob, placed[p.n] || (c && c.check.corners), function (q) {
            placed[p.n] = q;
            delete checks[p.n];
            p.state = 'queued';
            save();
            render();
            pump();
          });
        }));
      }
      li.setAttribute('data-corners', placed[p.n] ? 'placed' : '');
      list.appendChild(li);
      p.bar = bar;
      p.text = text;
      p.li = li;
      show(p);
    });
    tally();
  }
  // tally says how many pages are ready, that the network is gone when a
  // page waits for it, and which page waits for a decision (its warning may
  // be below the fold); it keeps Send in sight once a page is ready.
  var decide = window.coffreDecide(form); // the request to decide on pages
  function tally() {
    var stored = pages.filter(function (p) { return p.state === 'sent'; });
    var retrying = pages.some(function (p) { return p.state === 'retry'; });
    var w = waiting(), ask = decide.text(w);
    // A page waiting for a decision is stored but not "ready" ("2 pages
    // ready. Page 2: retake it…" read as a contradiction).
    var ready = stored.filter(function (p) { var c = checks[p.n]; return !(c && !c.kept && c.check.verdict === 'retake' && ds.msgCaptureDecide); }).length;
    // The request to decide said at Send follows the decisions.
    decide.follow(status, function (t) { status.textContent = t; }, w);
    chosen.textContent = ((ready > 0 || !ask ? msg('Count', ready) + ' ' : '') +
      (stored.length < pages.length ? (retrying ? '(' + msg('Retry') + ')' : msg('Pending', pages.length - stored.length)) + ' ' : '') + ask).trim();
    form.classList.toggle('has-pages', stored.length > 0);
    // Once a page is there, the camera button says what comes next.
    if (camLabel && ds.msgCameranext) camLabel.textContent = pages.length ? ds.msgCameranext : camLabel0;
  }
  // A page's state: 'sent' means stored on the server, waiting for Send
  // ("ready"); 'delivered' means Send was tapped; 'received' that the
  // vault answered with its receipt.
  function show(p) {
    if (!p.text) return;
    var st = p.state;
    if (st === 'sent' && sending) st = offline ? 'retry' : 'delivered';
    // Stored, but its check asks for it again: not "ready" until decided.
    var c = checks[p.n], ask = st === 'sent' && c && !c.kept && c.check.verdict === 'retake' && ds.msgCaptureDecide;
    p.text.className = 'pstate' + (ask ? '' : st === 'sent' || st === 'delivered' || st === 'received' ? ' ok' : st === 'failed' ? ' bad' : '');
    p.text.textContent = ask ? ds.msgCaptureDecide.replace('{0}', pages.indexOf(p) + 1) : st === 'sent' ? msg('Ready') : st === 'delivered' ? msg('Delivered') :
      st === 'received' ? msg('Received') : st === 'retry' ? msg('Retry') :
      st === 'failed' ? msg('Failed') : msg('Sending');
    p.li && p.li.setAttribute('data-state', st);
    p.bar.value = st === 'sent' || st === 'delivered' || st === 'received' ? 100 : (p.progress || 0);
    if (!finished) tally();
  }
  function move(i, d) {
    var j = i + d;
    if (j < 0 || j >= pages.length) return;
    var t = pages[i]; pages[i] = pages[j]; pages[j] = t;
    save();
    render();
    var b = list.children[j] && list.children[j].querySelectorAll('button')[d < 0 ? 0 : 1];
    if (b) b.focus();
  }

  function add(files) {
    var list2 = Array.prototype.slice.call(files);
    // Refused at once, by name: what is neither a picture nor a PDF.
    var refused = list2.filter(function (f) { return !/^image\//.test(f.type) && f.type !== 'application/pdf'; });
    if (refused.length) {
      status.textContent = refused.map(function (f) { return msg('Notphoto', f.name); }).join(' ');
      status.className = 'hint error-text';
      list2 = list2.filter(function (f) { return refused.indexOf(f) < 0; });
      retakeAt = -1;
      if (!list2.length) return;
    } else if (!decide.shown(status)) {
      status.textContent = '';
      status.className = 'hint';
    }
    if (pages.length + list2.length > maxPages) {
      status.textContent = msg('Toomany');
      list2 = list2.slice(0, Math.max(0, maxPages - pages.length));
    }
    var at = retakeAt;
    retakeAt = -1;
    Promise.all(list2.map(window.coffreShrink)).then(function (blobs) {
      blobs.forEach(function (b, k) {
        var p = { n: next++, blob: b, url: URL.createObjectURL(b), state: 'queued', progress: 0 };
        if (at >= 0 && k === 0 && pages[at]) {
          var old = pages[at].n;
          p.was = checks[old] && checks[old].check; // for coffreAgain
          delete thumbs[old]; delete checks[old]; delete placed[old];
          pages.splice(at, 1, p);
          takeBack(old);
        } else pages.push(p);
        thumb(p);
      });
      save();
      render();
      pump();
    });
  }
  camera.addEventListener('change', function () { add(camera.files); camera.value = ''; });
  gallery.addEventListener('change', function () { add(gallery.files); gallery.value = ''; });

  // One page at a time: on a weak connection, parallel uploads only
  // compete with each other.
  function pump() {
    if (busy) return;
    var p = pages.filter(function (x) { return x.state === 'queued' || x.state === 'retry'; })[0];
    if (!p) {
      if (wantSend) send();
      return;
    }
    busy = true;
    p.state = 'sending';
    show(p);
    var xhr = new XMLHttpRequest();
    xhr.open('PUT', base + '/pages/' + p.n);
    xhr.setRequestHeader('X-Upload-Key', key);
    if (lang) xhr.setRequestHeader('Accept-Language', lang);
    xhr.setRequestHeader('Content-Type', p.blob.type || 'application/octet-stream');
    if (placed[p.n]) xhr.setRequestHeader('X-Page-Corners', JSON.stringify(placed[p.n]));
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { p.progress = Math.round(95 * e.loaded / e.total); show(p); }
    };
    xhr.onload = function () {
      busy = false;
      if (pages.indexOf(p) < 0) {
        // Removed while it was on its way: taken back once it landed.
        takeBack(p.n);
        pump();
        return;
      }
      if (xhr.status === 200 || xhr.status === 201) {
        p.state = 'sent';
        delay = 1000;
        verdict(p, xhr.responseText);
        show(p);
        pump();
      } else if (xhr.status === 422 && placed[p.n]) {
        // The corners placed are refused (the page itself is stored):
        // said, and the page is checked again with its own outline.
        delete placed[p.n];
        p.state = 'queued';
        save();
        render();
        status.textContent = errorText(xhr);
        pump();
      } else if (xhr.status === 429 || xhr.status >= 500) {
        retry(p);
      } else if (xhr.status === 404) {
        linkGone();
      } else {
        p.state = 'failed';
        show(p);
        status.textContent = errorText(xhr) || msg('Failed');
        pump();
      }
    };
    xhr.onerror = xhr.ontimeout = function () {
      busy = false;
      if (pages.indexOf(p) < 0) { takeBack(p.n); pump(); return; }
      retry(p);
    };
    xhr.send(p.blob);
  }
  // verdict keeps the page's check from the server's answer and shows it.
  function verdict(p, text) {
    var j = null;
    try { j = JSON.parse(text); } catch (e) { return; }
    if (!j || !j.check || pages.indexOf(p) < 0) return;
    if (j.check.thumbnail) { p.url = j.check.thumbnail; thumbs[p.n] = j.check.thumbnail; }
    var c = { check: { verdict: j.check.verdict, findings: j.check.findings || [], corners: j.check.corners || null }, kept: false };
    c.again = window.coffreAgain(p.was, c.check);
    checks[p.n] = c;
    save();
    render();
    window.coffreVerdictSay(form, pages.indexOf(p) + 1, j.check, c.again);
    // The warning comes into sight (it lands below the fold on a phone).
    if (j.check.verdict === 'retake' && p.li) window.coffreIntoSight(p.li);
  }
  // waiting gives the numbers (from 1) of the pages to retake that were
  // neither retaken nor kept.
  function waiting() {
    var w = [];
    pages.forEach(function (p, i) { var c = checks[p.n]; if (c && !c.kept && c.check.verdict === 'retake') w.push(i + 1); });
    return w;
  }
  function retry(p) {
    p.state = 'retry';
    show(p);
    setTimeout(pump, delay);
    delay = Math.min(delay * 2, 15000);
  }
  // The network going away is said at once, not only at Send (newcomer's
  // review): nothing is lost, the pages go once it is back.
  window.addEventListener('offline', function () {
    if (!finished && !status.textContent) status.textContent = msg('Offline');
  });
  window.addEventListener('online', function () {
    if (!sending && status.textContent === msg('Offline')) status.textContent = '';
    delay = 1000;
    pump();
    if (sendTimer && !finished) { clearTimeout(sendTimer); sendTimer = 0; send(); }
  });
  function errorText(xhr) {
    try { return JSON.parse(xhr.responseText).error.message; } catch (e) { return ''; }
  }

  function send() {
    wantSend = false;
    var ready = pages.filter(function (p) { return p.state === 'sent'; });
    if (!pages.length) { status.textContent = msg('Nopage'); return; }
    // A link that asks for several papers: she says which one this is
    // (nothing is ticked for her: a tap past the question filed a tax
    // notice as the payslip listed first).
    var choose = form.querySelector('[data-choose]');
    if (choose && !form.querySelector('input[name=type]:checked')) {
      status.textContent = msg('Choosetype');
      choose.scrollIntoView({ block: 'center' });
      var first = choose.querySelector('input[name=type]');
      if (first) first.focus();
      return;
    }
    var w = waiting();
    if (w.length) {
      decide.ask(function (t) { status.textContent = t; }, w);
      var keep = list.children[w[0] - 1] && list.children[w[0] - 1].querySelector('.verdict .keep');
      if (keep) { keep.scrollIntoView({ block: 'center' }); keep.focus(); }
      return;
    }
    if (ready.length !== pages.length) {
      if (pages.some(function (p) { return p.state === 'failed'; })) { status.textContent = msg('Failed'); return; }
      wantSend = true;
      status.textContent = navigator.onLine === false ? msg('Offline') : msg('Wait');
      pump();
      return;
    }
    sendBtn.disabled = true;
    sending = true;
    sendTimer = 0;
    // With no network the pages stay "ready" here and on the server: the
    // page says so and sends when the phone is back online.
    offline = navigator.onLine === false;
    pages.forEach(show);
    status.textContent = offline ? msg('Offline') : msg('Delivering');
    if (offline) { sendTimer = setTimeout(send, delay); delay = Math.min(delay * 2, 15000); return; }
    var type = form.elements.type ? form.elements.type.value : '';
    fetch(base + '/send', {
      method: 'POST', credentials: 'omit',
      headers: withLang({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ key: key, pages: pages.map(function (p) { return p.n; }), type: type, corners: sentCorners() })
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      if (offline) { offline = false; pages.forEach(show); }
      if (res.status === 201) { done(res.body); return; }
      if (res.status === 404) { linkGone(); return; }
      if (res.status === 409 || res.status === 429 || res.status >= 500) { setTimeout(send, 2000); return; }
      sendBtn.disabled = false;
      sending = false;
      pages.forEach(show);
      status.textContent = (res.body.error && res.body.error.message) || msg('Failed');
    }).catch(function () {
      offline = true;
      pages.forEach(show);
      status.textContent = msg('Offline');
      sendTimer = setTimeout(send, delay);
      delay = Math.min(delay * 2, 15000);
    });
  }
  function sentCorners() {
    var out = {};
    pages.forEach(function (p) { if (placed[p.n]) out[p.n] = placed[p.n]; });
    return out;
  }
  function done(rc) {
    finished = true;
    try {
      ['', '.t', '.c', '.k'].forEach(function (x) { sessionStorage.removeItem(storeKey + x); });
      // A reload of a link that takes more still shows what was sent.
      sessionStorage.setItem(storeKey + '.r', JSON.stringify({ pages: rc.pages, label: rc.label }));
    } catch (e) { /* nothing */ }
    var box = document.getElementById('receipt');
    // The pages stay in sight, each "received by the vault".
    pages.forEach(function (p) { p.state = 'received'; show(p); });
    Array.prototype.forEach.call(list.querySelectorAll('.pbtns, progress, .verdict, .pcorners'), function (el) { el.remove(); });
    if (pages.length) box.appendChild(list);
    form.hidden = true;
    var t = box.querySelector('[data-receipt-text]');
    t.textContent = window.coffrePlural(t.getAttribute('data-plural'), rc.pages).replace('{1}', rc.label);
    box.hidden = false;
    // A one-use link is used now: its end date no longer matters. One
    // that takes more offers more at once (newcomer's review: the button
    // came only after a reload); the tap starts afresh, a new upload.
    var last = document.querySelector('[data-last-use]');
    if (last) last.hidden = true;
    else if (!box.querySelector('[data-mine-back], [data-send-more]')) {
      moreButton(box, function () {
        try { sessionStorage.removeItem(storeKey + '.r'); } catch (e) { /* nothing */ }
        location.reload();
      });
    }
    box.focus();
  }
  // linkGone: the link no longer takes papers (stopped by the person who
  // sent it, expired). Said in place of the form, not in the Send bar
  // (newcomer's review: the message sat under the bar, the pages still
  // said "ready" and a reload lost them); her photos can be kept on the
  // phone, to send through a new link from the gallery.
  var linkStopped = false;
  function linkGone() {
    if (linkStopped) return;
    linkStopped = true;
    wantSend = false;
    sending = false;
    clearTimeout(sendTimer);
    var box = document.getElementById('gone');
    if (!box) return;
    form.hidden = true;
    box.hidden = false;
    var keep = box.querySelector('[data-keep-photos]');
    if (keep) {
      keep.hidden = !pages.length;
      keep.addEventListener('click', function () {
        pages.forEach(function (p, i) {
          if (!p.blob || !p.url) return;
          var a = document.createElement('a');
          var ext = (p.blob.type || '').indexOf('pdf') >= 0 ? '.pdf' : (p.blob.type || '').indexOf('png') >= 0 ? '.png' : '.jpg';
          a.href = p.url;
          a.download = 'page-' + (i + 1) + ext;
          document.body.appendChild(a);
          a.click();
          a.remove();
        });
      });
    }
    box.focus();
  }
  // moreButton adds "send other papers" to the receipt box.
  function moreButton(box, onTap) {
    var more = document.createElement('button');
    more.type = 'button';
    more.className = 'btn primary';
    more.setAttribute('data-send-more', '');
    more.textContent = box.getAttribute('data-more');
    more.addEventListener('click', function () { onTap(more); });
    box.appendChild(more);
  }
  form.addEventListener('submit', function (ev) { ev.preventDefault(); send(); });
  // Leaving with pages not yet in the vault asks first.
  window.addEventListener('beforeunload', function (ev) {
    if (finished || !pages.length) return;
    ev.preventDefault();
    ev.returnValue = '';
  });

  // After a reload once sent (a link that takes more): what was sent stays
  // in sight, and one tap opens the form for more papers.
  var lastSent = null;
  try { lastSent = JSON.parse(sessionStorage.getItem(storeKey + '.r') || 'null'); } catch (e) { lastSent = null; }
  if (lastSent && !(saved && saved.order && saved.order.length)) {
    var rbox = document.getElementById('receipt');
    var rt = rbox.querySelector('[data-receipt-text]');
    rt.textContent = window.coffrePlural(rt.getAttribute('data-plural'), lastSent.pages).replace('{1}', lastSent.label);
    moreButton(rbox, function (more) {
      try { sessionStorage.removeItem(storeKey + '.r'); } catch (e) { /* nothing */ }
      rbox.hidden = true;
      more.remove();
      form.hidden = false;
    });
    form.hidden = true;
    rbox.hidden = false;
  }
  flush();
  // After a reload: the pages already on the server are not sent again.
  if (saved && saved.order && saved.order.length) {
    fetch(base + '/pending', { headers: withLang({ 'X-Upload-Key': key }), credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (st) {
        if (!st) return;
        if (st.sent && st.receipt) { done(st.receipt); return; }
        next = saved.next || 1;
        saved.order.forEach(function (n) {
          if (st.pages.indexOf(n) >= 0) pages.push({ n: n, url: thumbs[n] || '', state: 'sent', progress: 100 });
        });
        save();
        render();
        // After a reload (a change of language reloads too), the first
        // warning still waiting for a decision comes into sight.
        var first = pages.filter(function (p) { var c = checks[p.n]; return c && !c.kept && c.check.verdict === 'retake'; })[0];
        if (first && first.li) window.coffreIntoSight(first.li);
        // A page whose check was lost (the reload came before its answer)
        // is checked again from what the server stored, one at a time.
        pages.filter(function (p) { return !checks[p.n]; }).reduce(function (chain, p) {
          return chain.then(function () {
            return fetch(base + '/pages/' + p.n + '/check', { headers: withLang({ 'X-Upload-Key': key }), credentials: 'omit' })
              .then(function (r) { return r.ok ? r.text() : null; })
              .then(function (t) { if (t) verdict(p, t); });
          }).catch(function () { /* unchecked: Send still works */ });
        }, Promise.resolve());
      });
  }
  save();
})();
