// Coffre: placing a page's four corners by hand, shared by the helper's
// page (drop.js) and the owner's "add a paper" form (upload.js). When the
// check is unsure of the page's outline (no outline found, "no page" or
// "cut off"), the page offers "Place the corners": the photo opens with
// four big round handles (48 px) on the corners found, or inset from the
// photo's edges, that the person drags (touch, mouse or pen: pointer
// events) or moves with the arrow keys. "Use these corners" gives them,
// in the photo's pixels, to the page's script, which sends them with the
// page (header X-Page-Corners, then with Send or Save) so that the
// server cuts the page there. The words come from the template's data
// attributes (data-msg-*), never from here.
(function () {
  'use strict';
  // coffreCornersWanted says whether the check was unsure of the outline.
  window.coffreCornersWanted = function (check) {
    if (!check) return false;
    if (!check.corners) return true;
    return (check.findings || []).some(function (f) { return f.code === 'no_page' || f.code === 'cut_off'; });
  };
  var box = document.getElementById('corners');
  if (!box || !window.PointerEvent || !window.URL || !URL.createObjectURL) return;
  var ds = box.dataset;
  var view = box.querySelector('.corners-view');
  var stage = box.querySelector('.corners-stage');
  var img = stage.querySelector('img');
  var svg = stage.querySelector('svg');
  var poly = svg.querySelector('polygon');
  var handles = [], pts = [], nw = 0, nh = 0, done = null, url = '', opener = null;

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  for (var i = 0; i < 4; i++) handles.push(handle(i));

  function handle(i) {
    var h = document.createElement('button');
    h.type = 'button';
    h.className = 'corner-handle';
    h.setAttribute('data-corner', i + 1);
    h.setAttribute('aria-label', (ds.msgCorner || '').replace('{0}', i + 1));
    stage.appendChild(h);
    function at(ev) {
      var r = stage.getBoundingClientRect();
      pts[i] = [clamp((ev.clientX - r.left) / r.width * nw, 0, nw), clamp((ev.clientY - r.top) / r.height * nh, 0, nh)];
      place();
    }
    h.addEventListener('pointerdown', function (ev) {
      ev.preventDefault();
      if (h.setPointerCapture) h.setPointerCapture(ev.pointerId);
      h.classList.add('dragging');
      h.focus();
    });
    h.addEventListener('pointermove', function (ev) { if (h.classList.contains('dragging')) at(ev); });
    function up(ev) { if (h.classList.contains('dragging')) { at(ev); h.classList.remove('dragging'); } }
    h.addEventListener('pointerup', up);
    h.addEventListener('pointercancel', function () { h.classList.remove('dragging'); });
    h.addEventListener('keydown', function (ev) {
      var step = Math.max(nw, nh) / 100 * (ev.shiftKey ? 5 : 1);
      var d = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] }[ev.key];
      if (!d) return;
      ev.preventDefault();
      pts[i] = [clamp(pts[i][0] + d[0], 0, nw), clamp(pts[i][1] + d[1], 0, nh)];
      place();
    });
    return h;
  }
  function place() {
    handles.forEach(function (h, i) {
      h.style.left = (100 * pts[i][0] / nw) + '%';
      h.style.top = (100 * pts[i][1] / nh) + '%';
    });
    poly.setAttribute('points', pts.map(function (p) { return p[0] + ',' + p[1]; }).join(' '));
  }
  // fit sizes the stage to the photo shown whole in the view.
  function fit() {
    if (!nw) return;
    var s = Math.min(view.clientWidth / nw, view.clientHeight / nh);
    stage.style.width = Math.floor(nw * s) + 'px';
    stage.style.height = Math.floor(nh * s) + 'px';
  }
  window.addEventListener('resize', fit);
  function close() {
    box.hidden = true;
    document.documentElement.classList.remove('coach-on');
    if (url) URL.revokeObjectURL(url);
    url = '';
    img.removeAttribute('src');
    if (opener && opener.isConnected) opener.focus();
  }
  box.querySelector('.corners-cancel').addEventListener('click', close);
  box.querySelector('.corners-use').addEventListener('click', function () {
    var cb = done, out = pts.map(function (p) { return [Math.round(p[0]), Math.round(p[1])]; });
    close();
    if (cb) cb(out);
  });
  box.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') close(); });

  // coffreCorners opens the photo (a Blob) with the corners start (four
  // [x, y] in its pixels, or null) and calls onUse with the corners placed.
  window.coffreCorners = function (blob, start, onUse) {
    done = onUse;
    opener = document.activeElement;
    url = URL.createObjectURL(blob);
    img.onload = function () {
      nw = img.naturalWidth;
      nh = img.naturalHeight;
      svg.setAttribute('viewBox', '0 0 ' + nw + ' ' + nh);
      var mx = nw * 0.1, my = nh * 0.1;
      pts = start && start.length === 4 ? start.map(function (p) { return [clamp(p[0], 0, nw), clamp(p[1], 0, nh)]; }) :
        [[mx, my], [nw - mx, my], [nw - mx, nh - my], [mx, nh - my]];
      fit();
      place();
      handles[0].focus();
      box.setAttribute('data-ready', 'true');
    };
    box.setAttribute('data-ready', 'false');
    box.hidden = false;
    document.documentElement.classList.add('coach-on');
    img.src = url;
  };

  // coffreCornersBlock is what a page shows when its outline is unsure or
  // its corners were placed: one line and the button that opens the photo.
  window.coffreCornersBlock = function (form, placed, onOpen) {
    var div = document.createElement('div');
    div.className = 'pcorners';
    var p = document.createElement('p');
    p.className = 'hint';
    p.textContent = placed ? ds.msgPlaced : ds.msgUnsure;
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn corners-open';
    var s = form.querySelector('.i').cloneNode(true);
    var use = s.querySelector('use');
    use.setAttribute('href', use.getAttribute('href').replace(/#.*/, '#c-cut_off'));
    b.appendChild(s);
    var t = document.createElement('span');
    t.textContent = ds.msgOpen;
    b.appendChild(t);
    b.addEventListener('click', onOpen);
    div.appendChild(p);
    div.appendChild(b);
    return div;
  };
})();
