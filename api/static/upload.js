// Coffre: the owner's "add a paper" form. Pages are added one photo at a
// time (the camera gives one photo per shot), shown as thumbnails that can
// be moved, taken again or removed; "Save" sends them, made smaller, in the
// order shown, with a progress bar. Each set of pages carries its own
// idempotency key: sent again after a lost connection, it never makes a
// second paper. Without this script the form posts the files as they are.
// Each photo, made smaller, is checked by the server as soon as it is added
// (POST /papers/check; nothing is stored): the cleaned thumbnail replaces
// the photo's, and a page to retake shows why with "retake" and "keep
// anyway" (verdict.js). Save waits until each such page is retaken or kept.
// A page whose outline the check was unsure of can have its corners placed
// by hand (corners.js): checked again with them, and sent with Save.
// Leaving with pages not yet saved asks first.
(function () {
  'use strict';
  var form = document.querySelector('form[data-upload]');
  if (!form || !window.FormData || !window.coffreShrink || !window.coffreVerdict || !window.crypto || !crypto.getRandomValues) return;
  var ds = form.dataset;
  var bar = form.querySelector('[data-progress]');
  var button = form.querySelector('button[type=submit]');
  var list = document.getElementById('pages');
  var chosen = form.querySelector('[data-chosen]');
  var status = document.getElementById('add-status');
  var camera = document.getElementById('camera');
  var cameraLabel = form.querySelector('label[for=camera] span');
  var pages = []; // {file, url, blob (smaller), check, kept, checking}, in the order shown
  var retakeAt = -1;
  var saved = false; // the paper is saved: leaving loses nothing

  function msg(name, n) { return (ds['msg' + name] || '').replace('{0}', n); }
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    var s = '';
    b.forEach(function (x) { s += ('0' + x.toString(16)).slice(-2); });
    form.elements.key.value = s;
  }
  var decide = window.coffreDecide(form); // the request to decide on pages
  function say(text) {
    status.textContent = text;
    status.hidden = !text;
  }
  function iconButton(icon, label, fn) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn';
    b.setAttribute('aria-label', label);
    b.title = label;
    var svg = form.querySelector('.i').cloneNode(true);
    var use = svg.querySelector('use');
    use.setAttribute('href', use.getAttribute('href').replace(/#.*/, '#' + icon));
    b.appendChild(svg);
    b.addEventListener('click', fn);
    return b;
  }
  function changed() {
    newKey(); // another set of pages is another paper
    if (!decide.shown(status)) say('');
    render();
  }
  function move(i, d) {
    var j = i + d;
    if (j < 0 || j >= pages.length) return;
    var p = pages[i];
    pages[i] = pages[j];
    pages[j] = p;
    changed();
  }
  function render() {
    list.textContent = '';
    pages.forEach(function (p, i) {
      var li = document.createElement('li');
      var img = document.createElement('img');
      img.alt = msg('Page', i + 1);
      img.src = p.url;
      var title = document.createElement('strong');
      title.textContent = msg('Page', i + 1);
      var state = document.createElement('span');
      state.className = 'pstate';
      var verdict = p.check ? (p.kept ? 'kept' : p.check.verdict) : '';
      li.setAttribute('data-verdict', verdict);
      state.textContent = p.checking ? ds.msgCaptureChecking : verdict === 'ok' ? ds.msgCaptureOk : verdict === 'kept' ? ds.msgCaptureKept : '';
      if (verdict === 'ok') state.className += ' ok';
      var btns = document.createElement('div');
      btns.className = 'pbtns';
      // The first page cannot go up, nor the last down: those buttons
      // are off rather than doing nothing when tapped.
      btns.appendChild(iconButton('up', msg('Left', i + 1), function () { move(i, -1); })).disabled = i === 0;
      btns.appendChild(iconButton('down', msg('Right', i + 1), function () { move(i, 1); })).disabled = i === pages.length - 1;
      btns.appendChild(iconButton('camera', msg('Retake', i + 1), function () { retakeAt = i; camera.click(); }));
      btns.appendChild(iconButton('trash', msg('Remove', i + 1), function () {
        URL.revokeObjectURL(p.url);
        pages.splice(i, 1);
        changed();
      }));
      var info = document.createElement('div');
      info.appendChild(title);
      info.appendChild(document.createElement('br'));
      info.appendChild(state);
      li.appendChild(window.coffreZoomable(form, img, i + 1, function () { return p.blob || p.file; }));
      li.appendChild(info);
      li.appendChild(btns);
      if (p.check && !p.kept) {
        var box = window.coffreVerdict(form, p.check, function () { retakeAt = pages.indexOf(p); camera.click(); },
          function () { p.kept = true; window.coffreVerdictDone(form); render(); }, window.coffreAgain(p.was, p.check));
        if (box) li.appendChild(box);
      }
      // The outline unsure, or placed by hand: the corners can be placed.
      if (p.blob && window.coffreCorners && !p.checking && (p.corners || window.coffreCornersWanted(p.check))) {
        li.appendChild(window.coffreCornersBlock(form, !!p.corners, function () {
          window.coffreCorners(p.blob, p.corners || (p.check && p.check.corners), function (c) {
            p.corners = c;
            p.checking = true;
            p.check = null;
            p.kept = false;
            changed();
            check(p);
          });
        }));
      }
      li.setAttribute('data-corners', p.corners ? 'placed' : '');
      list.appendChild(li);
    });
    list.hidden = pages.length === 0;
    form.classList.toggle('has-pages', pages.length > 0); // "Save" kept in sight
    var n = pages.length;
    // The summary beside Save names the pages waiting for a decision
    // (their warnings may be below the fold). A page waiting for her
    // decision is not counted ready ("1 page ready. Page 2: retake it…"
    // read as a contradiction).
    var w = waiting(), ask = decide.text(w), undecided = ask ? w.length : 0;
    chosen.textContent = n === 0 ? chosen.getAttribute('data-empty') :
      ((n > undecided ? window.coffrePlural(chosen.getAttribute('data-plural'), n - undecided) + ' ' : '') + ask).trim();
    cameraLabel.textContent = cameraLabel.getAttribute(n === 0 ? 'data-first' : 'data-next');
    // The request to decide, once said, follows her decisions.
    decide.follow(status, say, w);
  }
  chosen.setAttribute('data-empty', chosen.textContent);
  form.querySelectorAll('input[type=file]').forEach(function (input) {
    input.addEventListener('change', function (ev) {
      ev.stopPropagation(); // the page count is kept here, not by app.js
      var files = Array.prototype.slice.call(input.files);
      input.value = '';
      if (!files.length) return;
      var added = files.map(function (f) { return { file: f, url: URL.createObjectURL(f), checking: /^image\//.test(f.type) }; });
      if (retakeAt >= 0 && retakeAt < pages.length) {
        added[0].was = pages[retakeAt].check; // for coffreAgain
        URL.revokeObjectURL(pages[retakeAt].url);
        pages.splice.apply(pages, [retakeAt, 1].concat(added.slice(0, 1)));
      } else {
        pages = pages.concat(added);
      }
      retakeAt = -1;
      changed();
      added.forEach(check);
    });
  });
  // check makes the page smaller (kept for Save) and asks the server
  // whether it will be readable. Without an answer (offline, busy) the
  // page simply stays unchecked.
  function check(p) {
    if (!p.checking) return;
    (p.blob ? Promise.resolve(p.blob) : window.coffreShrink(p.file)).then(function (b) {
      p.blob = b;
      var h = { 'Content-Type': b.type || 'application/octet-stream', 'X-CSRF-Token': form.elements.csrf.value };
      if (p.corners) h['X-Page-Corners'] = JSON.stringify(p.corners);
      return fetch('/papers/check', { method: 'POST', credentials: 'same-origin', body: b, headers: h });
    }).then(function (r) {
      if (r.ok) return r.json();
      // Corners refused: said, and the page goes back to its own outline.
      if (p.corners && r.status === 422) {
        return r.json().then(function (j) { say(j.error && j.error.message); p.corners = null; p.checking = true; check(p); return { wait: true }; });
      }
      return null;
    }).then(function (j) {
      if (j && j.wait) return;
      p.checking = false;
      if (j && j.check) {
        p.check = j.check;
        if (j.check.thumbnail) { URL.revokeObjectURL(p.url); p.url = j.check.thumbnail; }
      }
      if (pages.indexOf(p) >= 0) {
        render();
        window.coffreVerdictSay(form, pages.indexOf(p) + 1, p.check, window.coffreAgain(p.was, p.check));
        // The warning comes into sight (it lands below the fold on a phone).
        var li = list.children[pages.indexOf(p)];
        if (p.check && p.check.verdict === 'retake' && li) window.coffreIntoSight(li);
      }
    }).catch(function () {
      p.checking = false;
      if (pages.indexOf(p) >= 0) render();
    });
  }
  // waiting gives the numbers (from 1) of the pages to retake that were
  // neither retaken nor kept.
  function waiting() {
    var w = [];
    pages.forEach(function (q, i) { if (q.check && !q.kept && q.check.verdict === 'retake') w.push(i + 1); });
    return w;
  }
  // Back to this page from the paper (history): a new paper, a new key.
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) { pages = []; saved = false; changed(); } });
  // Leaving (Back, a reload) with pages not yet saved asks first: the
  // photos are kept in this page's memory only, never in the browser's
  // storage (a shared phone), so leaving loses them.
  window.addEventListener('beforeunload', function (ev) {
    if (saved || !pages.length) return;
    ev.preventDefault();
    ev.returnValue = '';
  });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!pages.length) { say(ds.msgNopage); return; }
    var w = waiting();
    if (w.length) {
      decide.ask(say, w);
      var keep = list.children[w[0] - 1] && list.children[w[0] - 1].querySelector('.verdict .keep');
      if (keep) { keep.scrollIntoView({ block: 'center' }); keep.focus(); }
      return;
    }
    button.disabled = true;
    say('');
    Promise.all(pages.map(function (p) { return p.blob ? Promise.resolve(p.blob) : window.coffreShrink(p.file); })).then(function (blobs) {
      var fd = new FormData();
      fd.append('csrf', form.elements.csrf.value); // first part, as the server wants
      ['key', 'type', 'title', 'expires'].forEach(function (n) { if (form.elements[n]) fd.append(n, form.elements[n].value); });
      if (pages.some(function (p) { return p.corners; })) fd.append('corners', JSON.stringify(pages.map(function (p) { return p.corners || null; })));
      blobs.forEach(function (b, k) {
        var name = b.type === 'image/jpeg' ? 'page' + (k + 1) + '.jpg' : (b.name || 'page' + (k + 1));
        fd.append('page', b, name);
      });
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      xhr.onload = function () {
        if (xhr.status < 400) { saved = true; window.location.assign(xhr.responseURL); return; }
        var doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
        var err = doc.querySelector('#main .error');
        button.disabled = false;
        bar.hidden = true;
        say(err ? err.textContent : xhr.statusText);
        status.setAttribute('tabindex', '-1');
        status.focus();
      };
      // The connection dropped: the paper may or may not be saved. The
      // same key goes with the next try, so it is never saved twice.
      xhr.onerror = xhr.ontimeout = function () {
        button.disabled = false;
        bar.hidden = true;
        say(ds.msgOffline);
        status.setAttribute('tabindex', '-1');
        status.focus();
      };
      xhr.send(fd);
    });
  });
})();
