// Coffre: a live coach on the camera preview, on the helper's page and the
// owner's "add a paper" form. Where the phone has a camera the page may
// use, tapping "take a photo" opens the camera's live view here instead of
// the phone's camera app: the outline of the page found is drawn on it,
// one short hint with its pictogram says what to change ("closer", "hold
// still", "less light", "page not found"), and the photo is taken by
// itself once the page has been steady for about 0.7 s (or by the
// shutter button). The photo then goes exactly where a photo from the file
// input goes: it is put into that input and its "change" event fires, so
// drop.js and upload.js make the same thumbnail, upload and verdict.
// Without a camera, without permission, or without this script, the file
// input (capture) works as always; the live view also offers it.
//
// Each frame is analysed on a small copy (192 px on its long side): the page is
// the largest bright region after an Otsu threshold, its corners the
// extremes of x+y and x−y; sharpness is the variance of the Laplacian on
// the page, glare the fraction of blown pixels on it, steadiness how far
// the corners moved since the last frame. The words come from the
// template's data attributes (data-msg-*), never from here.
// window.coffreCoach exposes the measured rate (fps) and the last hint.
(function () {
  'use strict';
  var box = document.getElementById('coach');
  var camera = document.getElementById('camera');
  var md = navigator.mediaDevices;
  if (!box || !camera || !md || !md.getUserMedia || !md.enumerateDevices || !window.DataTransfer ||
      !window.File || !HTMLCanvasElement.prototype.toBlob) return;
  var ds = box.dataset;
  var video = box.querySelector('video');
  var outline = box.querySelector('.coach-quad');
  var poly = outline.querySelector('polygon');
  var hintBox = box.querySelector('.coach-hint');
  var hintText = hintBox.querySelector('span');
  var hintUse = hintBox.querySelector('use');
  var shutter = box.querySelector('.coach-shutter');
  var LONG = 192; // long side of the analysed copy
  var W = LONG;
  var STEADY_MS = 700, MOVE = 0.015, GLARE = 0.03, DARK = 70;
  var ICONS = { nopage: 'c-no_page', closer: 'c-small_text', whole: 'c-cut_off', dark: 'c-dark', glare: 'c-glare', still: 'c-blurry', steady: 'check', denied: 'stop' };
  var coach = window.coffreCoach = {
    fps: 0, ms: 0, msRead: 0, reader: '', frames: 0, hint: '', hints: [], said: [], outlined: 0, captures: 0,
    auto: true, armed: false, open: false, sharp: 0, quad: null
  };
  var bypass = false, stream = null, running = false, steadySince = 0, prev = null, peak = 0, times = [];
  var H = 0, cv = null, cx = null, gray = null, lab = null, stack = null;

  // Armed only when there is a camera the page has not been refused.
  function arm() {
    md.enumerateDevices().then(function (list) {
      if (!list.some(function (d) { return d.kind === 'videoinput'; })) return false;
      if (!navigator.permissions || !navigator.permissions.query) return true;
      return navigator.permissions.query({ name: 'camera' }).then(function (p) {
        p.onchange = function () { coach.armed = p.state !== 'denied'; box.setAttribute('data-armed', coach.armed); };
        return p.state !== 'denied';
      }, function () { return true; });
    }).then(function (ok) {
      coach.armed = !!ok;
      box.setAttribute('data-armed', coach.armed);
    }).catch(function () { /* no coach: the file input as always */ });
  }
  arm();

  // Tapping the camera's label, or a page's "retake", clicks the file
  // input: the live view opens instead of the file chooser.
  camera.addEventListener('click', function (ev) {
    if (bypass) { bypass = false; return; }
    if (!coach.armed) return;
    ev.preventDefault();
    open();
  });
  box.querySelector('.coach-app').addEventListener('click', function () {
    close();
    bypass = true;
    camera.click();
  });
  box.querySelector('.coach-close').addEventListener('click', close);
  shutter.addEventListener('click', function () { capture(); });
  box.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') close(); });

  function say(h) {
    if (coach.hint === h) return;
    coach.hint = h;
    if (coach.hints[coach.hints.length - 1] !== h) coach.hints.push(h);
    var text = ds['msg' + h.charAt(0).toUpperCase() + h.slice(1)] || '';
    if (coach.said.indexOf(text) < 0) coach.said.push(text);
    hintText.textContent = text;
    hintUse.setAttribute('href', hintUse.getAttribute('href').replace(/#.*/, '#' + ICONS[h]));
    box.setAttribute('data-hint', h);
  }

  // The camera's own frames, uncropped (the browser would otherwise crop
  // them to the size asked for), as large as it gives them.
  // The phone's Back button closes the live view, as it closes a phone's
  // own camera, and leaves her on the page with her pages: opening it
  // adds a history entry (same address) that Back takes away.
  var pushed = false;
  window.addEventListener('popstate', function () {
    if (pushed) { pushed = false; close(); }
  });
  function open() {
    if (coach.open) return;
    coach.open = true;
    box.hidden = false;
    if (window.history && history.pushState) { history.pushState({ coffreCoach: 1 }, ''); pushed = true; }
    document.documentElement.classList.add('coach-on');
    steadySince = 0; prev = null; peak = 0; times = [];
    say('nopage');
    shutter.focus();
    md.getUserMedia({ audio: false, video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1080 }, resizeMode: 'none' } })
      .then(function (s) {
        if (!coach.open) { stop(s); return; }
        stream = s;
        video.srcObject = s;
        return video.play().then(function () { running = true; next(); });
      })
      .catch(function (e) {
        if (e && (e.name === 'NotAllowedError' || e.name === 'SecurityError')) coach.armed = false;
        say('denied');
        box.setAttribute('data-hint', 'denied');
        box.querySelector('.coach-app').focus();
      });
  }
  function stop(s) { if (s) s.getTracks().forEach(function (t) { t.stop(); }); }
  function close() {
    if (!coach.open) return;
    coach.open = false;
    running = false;
    stop(stream);
    stream = null;
    video.srcObject = null;
    box.hidden = true;
    document.documentElement.classList.remove('coach-on');
    poly.setAttribute('points', '');
    // Back where she was: the camera button's input is visually hidden
    // and placed at the top of the page, so focusing it must not scroll
    // (the new page shows below the button she tapped).
    camera.focus({ preventScroll: true });
    if (pushed) { pushed = false; history.back(); } // the entry open() added
  }
  function next() {
    if (!running) return;
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(tick);
    else requestAnimationFrame(tick);
  }
  var last = -1;
  function tick(now, meta) {
    if (!running) return;
    // Each frame once: the display may refresh faster than the camera.
    var at = meta && meta.presentedFrames ? meta.presentedFrames : video.currentTime;
    if (at === last || video.readyState < 2 || !video.videoWidth) { next(); return; }
    last = at;
    var t0 = performance.now();
    read().then(function (ok) {
      if (ok && running) {
        try { analyse(t0); } catch (e) { /* a frame lost: the next one comes */ }
      }
      next();
    }, next);
  }

  // read fills gray (W×H) with the frame's light. Where the browser hands
  // out the camera's own frame (VideoFrame), only its luma plane is
  // sampled: no colour conversion, no scaling of the whole frame. Else the
  // frame is drawn small on a canvas.
  var useFrame = !!window.VideoFrame, buf = null, lut = new Uint8Array(256), lutFull = null;
  var PLANAR = { I420: 1, I420A: 1, I422: 1, I444: 1, NV12: 1 };
  function read() {
    var vw = video.videoWidth, vh = video.videoHeight;
    setup(vw, vh);
    coach.size = vw + 'x' + vh;
    if (useFrame) {
      var f = null;
      try {
        f = new VideoFrame(video);
        var r = f.visibleRect;
        if (!PLANAR[f.format] || f.displayWidth !== vw || f.displayHeight !== vh || r.width !== vw || r.height !== vh) throw new Error('frame');
        var size = f.allocationSize();
        if (!buf || buf.length < size) buf = new Uint8Array(size);
        var full = !!(f.colorSpace && f.colorSpace.fullRange);
        if (lutFull !== full) {
          lutFull = full;
          for (var i = 0; i < 256; i++) lut[i] = full ? i : Math.max(0, Math.min(255, Math.round((i - 16) * 255 / 219)));
        }
        return f.copyTo(buf).then(function (layout) {
          f.close();
          var off = layout[0].offset, stride = layout[0].stride, k = 0;
          for (var y = 0; y < H; y++) {
            var row = off + Math.floor((y + 0.5) * vh / H) * stride;
            for (var x = 0; x < W; x++) gray[k++] = lut[buf[row + Math.floor((x + 0.5) * vw / W)]];
          }
          coach.reader = 'frame';
          return true;
        }, function () { useFrame = false; return readCanvas(); });
      } catch (e) {
        if (f) f.close();
        useFrame = false;
      }
    }
    return Promise.resolve(readCanvas());
  }
  function readCanvas() {
    cx.drawImage(video, 0, 0, W, H);
    var d = cx.getImageData(0, 0, W, H).data, n = W * H;
    for (var i = 0, j = 0; i < n; i++, j += 4) gray[i] = (d[j] * 77 + d[j + 1] * 150 + d[j + 2] * 29) >> 8;
    coach.reader = 'canvas';
    return true;
  }

  function setup(vw, vh) {
    var w = vw >= vh ? LONG : Math.max(1, Math.round(LONG * vw / vh));
    var h = vw >= vh ? Math.max(1, Math.round(LONG * vh / vw)) : LONG;
    if (w === W && h === H && cx) return;
    W = w;
    H = h;
    cv = window.OffscreenCanvas ? new OffscreenCanvas(W, H) : document.createElement('canvas');
    cv.width = W;
    cv.height = H;
    cx = cv.getContext('2d', { willReadFrequently: true });
    // Nearest pixel, not filtered: the camera's frame is large, and the
    // page's outline and light need no smoothing.
    cx.imageSmoothingEnabled = false;
    gray = new Uint8Array(W * H);
    lab = new Int32Array(W * H);
    stack = new Int32Array(W * H);
    outline.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  }

  // analyse looks at one frame and says what to change, or takes the photo.
  function analyse(t0) {
    var tr = performance.now() - t0;
    coach.msRead = coach.msRead ? coach.msRead * 0.9 + tr * 0.1 : tr;
    var n = W * H, hist = new Int32Array(256), i;
    for (i = 0; i < n; i++) hist[gray[i]]++;
    // Otsu's threshold, and the means on either side.
    var sum = 0, sumB = 0, wB = 0, best = -1, t = 128, mB = 0, mF = 0;
    for (i = 0; i < 256; i++) sum += i * hist[i];
    for (i = 0; i < 256; i++) {
      wB += hist[i];
      if (!wB) continue;
      var wF = n - wB;
      if (!wF) break;
      sumB += i * hist[i];
      var a = sumB / wB, b = (sum - sumB) / wF, v = wB * wF * (a - b) * (a - b);
      if (v > best) { best = v; t = i; mB = a; mF = b; }
    }
    var q = page(t);
    var h = judge(q, mF - mB, t0);
    coach.frames++;
    var t1 = performance.now();
    coach.ms = coach.ms ? coach.ms * 0.9 + (t1 - t0) * 0.1 : t1 - t0;
    times.push(t1);
    if (times.length > 30) times.shift();
    if (times.length > 5) coach.fps = Math.round(10 * 1000 * (times.length - 1) / (t1 - times[0])) / 10;
    box.setAttribute('data-fps', coach.fps);
    say(h);
  }

  // page finds the largest bright region (4-connected) above threshold t,
  // its corners, area, whether it touches the frame, and its brightness.
  function page(t) {
    var n = W * H, id = 0, bestId = 0, bestSize = 0, bq = null, i;
    lab.fill(0);
    for (i = 0; i < n; i++) {
      if (lab[i] || gray[i] <= t) continue;
      id++;
      var sp = 0, size = 0, edge = 0;
      var s0 = 1e9, s1 = -1e9, d0 = 1e9, d1 = -1e9, tl = 0, br = 0, bl = 0, tr = 0;
      stack[sp++] = i;
      lab[i] = id;
      while (sp) {
        var k = stack[--sp], x = k % W, y = (k - x) / W;
        size++;
        if (x === 0 || y === 0 || x === W - 1 || y === H - 1) edge++;
        var s = x + y, dd = x - y;
        if (s < s0) { s0 = s; tl = k; }
        if (s > s1) { s1 = s; br = k; }
        if (dd < d0) { d0 = dd; bl = k; }
        if (dd > d1) { d1 = dd; tr = k; }
        if (x > 0 && !lab[k - 1] && gray[k - 1] > t) { lab[k - 1] = id; stack[sp++] = k - 1; }
        if (x < W - 1 && !lab[k + 1] && gray[k + 1] > t) { lab[k + 1] = id; stack[sp++] = k + 1; }
        if (y > 0 && !lab[k - W] && gray[k - W] > t) { lab[k - W] = id; stack[sp++] = k - W; }
        if (y < H - 1 && !lab[k + W] && gray[k + W] > t) { lab[k + W] = id; stack[sp++] = k + W; }
      }
      if (size > bestSize) {
        bestSize = size; bestId = id;
        bq = { size: size, edge: edge, c: [tl, tr, br, bl].map(function (k) { return [k % W, Math.floor(k / W)]; }) };
      }
    }
    if (!bq) return null;
    var c = bq.c, area = 0;
    for (i = 0; i < 4; i++) area += c[i][0] * c[(i + 1) % 4][1] - c[(i + 1) % 4][0] * c[i][1];
    bq.area = Math.abs(area) / 2;
    // Brightness, blown pixels and sharpness inside the page, away from
    // its edges (the inner 80 % of its bounding box).
    var x0 = Math.min(c[0][0], c[3][0]), x1 = Math.max(c[1][0], c[2][0]);
    var y0 = Math.min(c[0][1], c[1][1]), y1 = Math.max(c[2][1], c[3][1]);
    var mx = Math.round((x1 - x0) * 0.1), my = Math.round((y1 - y0) * 0.1);
    x0 = Math.max(1, x0 + mx); x1 = Math.min(W - 2, x1 - mx); y0 = Math.max(1, y0 + my); y1 = Math.min(H - 2, y1 - my);
    var cnt = 0, tot = 0, blown = 0, ls = 0, ls2 = 0;
    for (var y = y0; y <= y1; y++) {
      for (var x = x0; x <= x1; x++) {
        var k2 = y * W + x, g = gray[k2];
        cnt++;
        tot += g;
        if (g >= 250) blown++;
        var l = 4 * g - gray[k2 - 1] - gray[k2 + 1] - gray[k2 - W] - gray[k2 + W];
        ls += l;
        ls2 += l * l;
      }
    }
    bq.id = bestId;
    bq.mean = cnt ? tot / cnt : 0;
    bq.blown = cnt ? blown / cnt : 0;
    bq.sharp = cnt ? ls2 / cnt - (ls / cnt) * (ls / cnt) : 0;
    return bq;
  }

  function judge(q, contrast, now) {
    var n = W * H;
    if (!q || contrast < 30 || q.size < 0.05 * n || q.area <= 0 || q.size / q.area < 0.6 || q.size / q.area > 1.4) {
      draw(null);
      return still(null, 'nopage', now);
    }
    draw(q.c);
    coach.sharp = Math.round(q.sharp);
    if (q.edge > 2) return still(q, 'whole', now);
    if (q.size < 0.18 * n) return still(q, 'closer', now);
    if (q.mean < DARK) return still(q, 'dark', now);
    if (q.blown > GLARE) return still(q, 'glare', now);
    var moved = 0;
    if (prev) for (var i = 0; i < 4; i++) moved = Math.max(moved, Math.abs(q.c[i][0] - prev[i][0]), Math.abs(q.c[i][1] - prev[i][1]));
    prev = q.c;
    peak = Math.max(peak * 0.98, q.sharp);
    if (moved > MOVE * W || q.sharp < 0.5 * peak) { steadySince = 0; return 'still'; }
    if (!steadySince) steadySince = now;
    if (coach.auto && now - steadySince >= STEADY_MS) capture();
    return 'steady';
  }
  function still(q, h, now) {
    steadySince = 0;
    prev = q ? q.c : null;
    return h;
  }
  function draw(c) {
    coach.quad = c;
    if (!c) { poly.setAttribute('points', ''); return; }
    coach.outlined++;
    poly.setAttribute('points', c.map(function (p) { return p[0] + ',' + p[1]; }).join(' '));
  }

  // capture takes the frame just judged, at the camera's full size, and
  // gives it to the file input, as the camera app would; then the live
  // view closes.
  function capture() {
    if (!coach.open || !video.videoWidth || !running) return;
    running = false;
    var c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    c.getContext('2d').drawImage(video, 0, 0);
    c.toBlob(function (b) {
      close();
      if (!b) return;
      var dt = new DataTransfer();
      dt.items.add(new File([b], 'photo-' + Date.now() + '.jpg', { type: 'image/jpeg', lastModified: Date.now() }));
      coach.captures++;
      camera.files = dt.files;
      camera.dispatchEvent(new Event('change', { bubbles: true }));
    }, 'image/jpeg', 0.92);
  }
})();
