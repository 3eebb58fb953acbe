// Coffre: the owner's "add a paper" form. Pages are added one photo at a
// time (the camera gives one photo per shot), shown as thumbnails that can
// be moved, taken again or removed; "Save" sends them, made smaller, in the
// order shown, with a progress bar. Each set of pages carries its own
// idempotency key: sent again after a lost connection, it never makes a
// second paper. Without this script the form posts the files as they are.
(function () {
  'use strict';
  var form = document.querySelector('form[data-upload]');
  if (!form || !window.FormData || !window.coffreShrink || !window.crypto || !crypto.getRandomValues) return;
  var ds = form.dataset;
  var bar = form.querySelector('[data-progress]');
  var button = form.querySelector('button[type=submit]');
  var list = document.getElementById('pages');
  var chosen = form.querySelector('[data-chosen]');
  var status = document.getElementById('add-status');
  var camera = document.getElementById('camera');
  var cameraLabel = form.querySelector('label[for=camera] span');
  var pages = []; // {file, url}, in the order shown
  var retakeAt = -1;

  function msg(name, n) { return (ds['msg' + name] || '').replace('{0}', n); }
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    var s = '';
    b.forEach(function (x) { s += ('0' + x.toString(16)).slice(-2); });
    form.elements.key.value = s;
  }
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
    say('');
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
      var btns = document.createElement('div');
      btns.className = 'pbtns';
      btns.appendChild(iconButton('up', msg('Left', i + 1), function () { move(i, -1); }));
      btns.appendChild(iconButton('down', msg('Right', i + 1), function () { move(i, 1); }));
      btns.appendChild(iconButton('camera', msg('Retake', i + 1), function () { retakeAt = i; camera.click(); }));
      btns.appendChild(iconButton('trash', msg('Remove', i + 1), function () {
        URL.revokeObjectURL(p.url);
        pages.splice(i, 1);
        changed();
      }));
      li.appendChild(img);
      li.appendChild(title);
      li.appendChild(btns);
      list.appendChild(li);
    });
    list.hidden = pages.length === 0;
    form.classList.toggle('has-pages', pages.length > 0); // "Save" kept in sight
    var n = pages.length;
    chosen.textContent = n === 0 ? chosen.getAttribute('data-empty') :
      window.coffrePlural(chosen.getAttribute('data-plural'), n);
    cameraLabel.textContent = cameraLabel.getAttribute(n === 0 ? 'data-first' : 'data-next');
  }
  chosen.setAttribute('data-empty', chosen.textContent);
  form.querySelectorAll('input[type=file]').forEach(function (input) {
    input.addEventListener('change', function (ev) {
      ev.stopPropagation(); // the page count is kept here, not by app.js
      var files = Array.prototype.slice.call(input.files);
      input.value = '';
      if (!files.length) return;
      var added = files.map(function (f) { return { file: f, url: URL.createObjectURL(f) }; });
      if (retakeAt >= 0 && retakeAt < pages.length) {
        URL.revokeObjectURL(pages[retakeAt].url);
        pages.splice.apply(pages, [retakeAt, 1].concat(added.slice(0, 1)));
      } else {
        pages = pages.concat(added);
      }
      retakeAt = -1;
      changed();
    });
  });
  // Back to this page from the paper (history): a new paper, a new key.
  window.addEventListener('pageshow', function (ev) { if (ev.persisted) { pages = []; changed(); } });

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!pages.length) { say(ds.msgNopage); return; }
    button.disabled = true;
    say('');
    Promise.all(pages.map(function (p) { return window.coffreShrink(p.file); })).then(function (blobs) {
      var fd = new FormData();
      fd.append('csrf', form.elements.csrf.value); // first part, as the server wants
      ['key', 'type', 'title', 'expires'].forEach(function (n) { if (form.elements[n]) fd.append(n, form.elements[n].value); });
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
        if (xhr.status < 400) { window.location.assign(xhr.responseURL); return; }
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
