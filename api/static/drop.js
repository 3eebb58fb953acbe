// Coffre: the helper's page. Each photo is made smaller, shown as a
// thumbnail and sent at once, one request per page, with a progress bar.
// The pages wait on the server encrypted to a key this page keeps (in
// sessionStorage, for a reload), so a dropped connection loses at most the
// page in flight: it is sent again, the others are not. "Send" asks the
// server to put the pages, in the order shown, into the vault as one paper.
(function () {
  'use strict';
  var form = document.getElementById('drop');
  if (!form || !window.fetch || !window.crypto || !crypto.getRandomValues || !window.coffreShrink) return;
  var ds = form.dataset;
  var base = '/d/' + ds.token;
  var list = document.getElementById('pages');
  var status = document.getElementById('status');
  var sendBtn = document.getElementById('send');
  var camera = document.getElementById('camera');
  var gallery = document.getElementById('gallery');
  var chosen = form.querySelector('[data-chosen]');
  var maxPages = +ds.maxPages || 20;
  var storeKey = 'coffre.drop.' + ds.token.slice(0, 16);
  var pages = []; // in the order shown: {n, url, state, li, bar, text}
  var next = 1, busy = false, wantSend = false, retakeAt = -1, delay = 1000;

  var ones = (ds.singular || '1').split(',');
  function isOne(n) { return ones.indexOf(String(n)) >= 0; }
  function msg(name, arg) {
    var m = (isOne(arg) && ds['msg' + name + 'One']) || ds['msg' + name] || '';
    return m.replace('{0}', arg);
  }
  function b64url(bytes) {
    var s = '';
    bytes.forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(storeKey) || 'null'); } catch (e) { saved = null; }
  var key = saved && saved.key;
  if (!key) {
    var raw = new Uint8Array(32);
    crypto.getRandomValues(raw);
    key = b64url(raw);
  }
  function save() {
    try {
      sessionStorage.setItem(storeKey, JSON.stringify({ key: key, next: next, order: pages.map(function (p) { return p.n; }) }));
    } catch (e) { /* private mode: no resume after a reload */ }
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
      if (p.url) img.src = p.url;
      var title = document.createElement('strong');
      title.textContent = msg('Page', i + 1);
      var text = document.createElement('span');
      text.className = 'pstate';
      var bar = document.createElement('progress');
      bar.max = 100;
      bar.setAttribute('aria-label', msg('Page', i + 1));
      var btns = document.createElement('div');
      btns.className = 'pbtns';
      btns.appendChild(button('up', msg('Left', i + 1), function () { move(i, -1); }));
      btns.appendChild(button('down', msg('Right', i + 1), function () { move(i, 1); }));
      btns.appendChild(button('camera', msg('Retake', i + 1), function () { retakeAt = i; camera.click(); }));
      btns.appendChild(button('trash', msg('Remove', i + 1), function () { pages.splice(i, 1); save(); render(); }));
      var info = document.createElement('div');
      info.appendChild(title);
      info.appendChild(document.createElement('br'));
      info.appendChild(text);
      info.appendChild(bar);
      li.appendChild(img);
      li.appendChild(info);
      li.appendChild(btns);
      list.appendChild(li);
      p.bar = bar;
      p.text = text;
      show(p);
    });
    chosen.textContent = msg('Count', pages.length);
  }
  function show(p) {
    if (!p.text) return;
    p.text.className = 'pstate' + (p.state === 'sent' ? ' ok' : p.state === 'failed' ? ' bad' : '');
    p.text.textContent = p.state === 'sent' ? msg('Sent') : p.state === 'retry' ? msg('Retry') :
      p.state === 'failed' ? msg('Failed') : msg('Sending');
    p.bar.value = p.state === 'sent' ? 100 : (p.progress || 0);
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
    if (pages.length + list2.length > maxPages) {
      status.textContent = msg('Toomany');
      list2 = list2.slice(0, Math.max(0, maxPages - pages.length));
    }
    var at = retakeAt;
    retakeAt = -1;
    Promise.all(list2.map(window.coffreShrink)).then(function (blobs) {
      blobs.forEach(function (b, k) {
        var p = { n: next++, blob: b, url: URL.createObjectURL(b), state: 'queued', progress: 0 };
        if (at >= 0 && k === 0) pages.splice(at, 1, p); else pages.push(p);
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
    xhr.setRequestHeader('Content-Type', p.blob.type || 'application/octet-stream');
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { p.progress = Math.round(95 * e.loaded / e.total); show(p); }
    };
    xhr.onload = function () {
      busy = false;
      if (xhr.status === 200 || xhr.status === 201) {
        p.state = 'sent';
        delay = 1000;
        show(p);
        pump();
      } else if (xhr.status === 429 || xhr.status >= 500) {
        retry(p);
      } else {
        p.state = 'failed';
        show(p);
        status.textContent = errorText(xhr) || msg('Failed');
        pump();
      }
    };
    xhr.onerror = xhr.ontimeout = function () { busy = false; retry(p); };
    xhr.send(p.blob);
  }
  function retry(p) {
    p.state = 'retry';
    show(p);
    setTimeout(pump, delay);
    delay = Math.min(delay * 2, 15000);
  }
  window.addEventListener('online', function () { delay = 1000; pump(); });
  function errorText(xhr) {
    try { return JSON.parse(xhr.responseText).error.message; } catch (e) { return ''; }
  }

  function send() {
    wantSend = false;
    var ready = pages.filter(function (p) { return p.state === 'sent'; });
    if (!pages.length) { status.textContent = msg('Count', 0); return; }
    if (ready.length !== pages.length) {
      if (pages.some(function (p) { return p.state === 'failed'; })) { status.textContent = msg('Failed'); return; }
      wantSend = true;
      status.textContent = msg('Wait');
      pump();
      return;
    }
    sendBtn.disabled = true;
    status.textContent = msg('Sending');
    var type = form.elements.type ? form.elements.type.value : '';
    fetch(base + '/send', {
      method: 'POST', credentials: 'omit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: key, pages: pages.map(function (p) { return p.n; }), type: type })
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; });
    }).then(function (res) {
      if (res.status === 201) { done(res.body); return; }
      if (res.status === 409 || res.status === 429 || res.status >= 500) { setTimeout(send, 2000); return; }
      sendBtn.disabled = false;
      status.textContent = (res.body.error && res.body.error.message) || msg('Failed');
    }).catch(function () { setTimeout(send, delay); delay = Math.min(delay * 2, 15000); });
  }
  function done(rc) {
    try { sessionStorage.removeItem(storeKey); } catch (e) { /* nothing */ }
    pages.forEach(function (p) { if (p.url) URL.revokeObjectURL(p.url); });
    form.hidden = true;
    var box = document.getElementById('receipt');
    var t = box.querySelector('[data-receipt-text]');
    var tpl = t.getAttribute(isOne(rc.pages) ? 'data-template-one' : 'data-template');
    t.textContent = tpl.replace('{0}', rc.pages).replace('{1}', rc.label);
    box.hidden = false;
    box.focus();
  }
  form.addEventListener('submit', function (ev) { ev.preventDefault(); send(); });

  // After a reload: the pages already on the server are not sent again.
  if (saved && saved.order && saved.order.length) {
    fetch(base + '/pending', { headers: { 'X-Upload-Key': key }, credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (st) {
        if (!st) return;
        if (st.sent && st.receipt) { done(st.receipt); return; }
        next = saved.next || 1;
        saved.order.forEach(function (n) {
          if (st.pages.indexOf(n) >= 0) pages.push({ n: n, url: '', state: 'sent', progress: 100 });
        });
        save();
        render();
      });
  }
  save();
})();
