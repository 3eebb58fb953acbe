// Coffre: the readability verdict of one page, shared by the helper's page
// (drop.js) and the owner's "add a paper" form (upload.js). The server
// checks each page as soon as it receives it and answers with the cleaned
// thumbnail and, for "retake", its findings, each with a sentence in the
// person's language. This shows the first finding's sentence with its
// pictogram and two buttons: retake, or keep anyway. The words come from
// the form's data attributes (data-msg-capture-*), never from here; a
// finding's sentence is the page's own (data-msg-check-<code>) when it has
// one, so that a check kept across a change of language reads in the new
// one, and the server's sentence otherwise.
// again: the page is a retake that got the same finding, and the finding
// has a sentence for that (data-msg-check-<code>-again).
window.coffreFinding = function (form, f, again) {
  'use strict';
  var k = 'msgCheck' + String(f.code || '').split('_').map(function (w) { return w.charAt(0).toUpperCase() + w.slice(1); }).join('');
  return (again && form.dataset[k + 'Again']) || form.dataset[k] || f.message;
};
// coffreAgain is true when check, the check of a page taken again in place
// of one whose check was before, finds again that the phone's photos are
// too small (low_res): the same phone cannot do better, so she is told
// that, to look at the page enlarged and to keep it if she can read it,
// rather than to retake it once more (newcomer's review).
window.coffreAgain = function (before, check) {
  'use strict';
  function first(c) { return c && c.verdict === 'retake' && c.findings && c.findings.length ? c.findings[0].code : ''; }
  return first(before) === 'low_res' && first(check) === 'low_res';
};
// coffreVerdict builds the warning; again (coffreAgain) says so and makes
// "keep anyway" the main button.
window.coffreVerdict = function (form, check, onRetake, onKeep, again) {
  'use strict';
  if (!check || check.verdict !== 'retake' || !check.findings || !check.findings.length) return null;
  var ds = form.dataset;
  var f = check.findings[0];
  function svg(name) {
    var s = form.querySelector('.i').cloneNode(true);
    var use = s.querySelector('use');
    use.setAttribute('href', use.getAttribute('href').replace(/#.*/, '#' + name));
    return s;
  }
  function btn(icon, label, cls, fn) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn ' + cls;
    b.appendChild(svg(icon));
    var t = document.createElement('span');
    t.textContent = label;
    b.appendChild(t);
    b.addEventListener('click', fn);
    return b;
  }
  var box = document.createElement('div');
  box.className = 'verdict';
  box.setAttribute('data-finding', f.code);
  var p = document.createElement('p');
  p.appendChild(svg('c-' + f.code));
  var t = document.createElement('span');
  t.textContent = window.coffreFinding(form, f, again);
  p.appendChild(t);
  box.appendChild(p);
  if (again) box.setAttribute('data-again', '');
  box.appendChild(btn('camera', ds.msgCaptureRetake, again ? 'retake' : 'primary retake', onRetake));
  box.appendChild(btn('check', ds.msgCaptureKeep, again ? 'primary keep' : 'keep', onKeep));
  return box;
};

// coffreDecide is the request to decide on the pages waiting for a
// decision (waiting: their numbers from 1), shared by both forms so the
// summary beside Send/Save and the status say the same: for one page
// data-msg-capture-decide ("Page {0}: retake it or keep it anyway."), for
// several data-msg-capture-decidemany with every page named, listed the
// language's way (Intl.ListFormat: "2 et 3"); '' when none waits.
// A form keeps the request it said in the status (asked) and, while the
// status still shows it, replaces it as she decides (follow): the next
// pages waiting, or nothing once every page is decided; a new photo leaves
// it (shown).
window.coffreDecide = function (form) {
  'use strict';
  var ds = form.dataset;
  function text(waiting) {
    if (!waiting.length || !ds.msgCaptureDecide) return '';
    if (waiting.length === 1 || !ds.msgCaptureDecidemany) return ds.msgCaptureDecide.replace('{0}', waiting[0]);
    var nums = waiting.map(String), list = nums.join(', ');
    try {
      list = new Intl.ListFormat(document.documentElement.lang || undefined, { type: 'conjunction' }).format(nums);
    } catch (e) { /* an unknown language: the numbers with commas */ }
    return ds.msgCaptureDecidemany.replace('{0}', list);
  }
  var asked = '';
  return {
    text: text,
    // ask says the request in status (say writes it), and remembers it.
    ask: function (say, waiting) { asked = text(waiting); say(asked); },
    // shown: the status still shows the request (a new photo, which
    // clears older messages, leaves it for follow to update).
    shown: function (status) { return !!asked && status.textContent === asked; },
    // follow replaces the request said, if the status still shows it.
    follow: function (status, say, waiting) {
      if (asked && status.textContent === asked) { asked = text(waiting); say(asked); }
    }
  };
};

// coffreVerdictSay tells screen readers, once, as the check arrives, that
// page n is to retake and why (the form's polite live region).
window.coffreVerdictSay = function (form, n, check, again) {
  'use strict';
  var live = form.querySelector('[data-verdict-live]');
  if (!live || !check) return;
  // A page found readable (a retake) leaves nothing to announce: read
  // later, the region would still say a page is to retake.
  if (check.verdict !== 'retake' || !check.findings || !check.findings.length) { live.textContent = ''; return; }
  live.textContent = (form.dataset.msgCapturePagesays || '{1}').replace('{0}', n).replace('{1}', window.coffreFinding(form, check.findings[0], again));
};
// coffreVerdictDone empties that region once she decided (kept the page):
// read later, it would still say the page is to retake.
window.coffreVerdictDone = function (form) {
  'use strict';
  var live = form.querySelector('[data-verdict-live]');
  if (live) live.textContent = '';
};
// coffreIntoSight scrolls so that el shows whole between the top of the
// screen and the sticky Send/Save bar (which covers the bottom of the
// screen once there are pages): a warning's buttons are never under it.
window.coffreIntoSight = function (el) {
  'use strict';
  if (!el || !el.getBoundingClientRect) return;
  var bar = document.querySelector('.has-pages .sendbar');
  var r = el.getBoundingClientRect();
  var bottom = bar ? Math.min(innerHeight, bar.getBoundingClientRect().top) : innerHeight;
  var margin = 8;
  if (r.bottom > bottom - margin) window.scrollBy(0, Math.min(r.bottom - bottom + margin, r.top - margin));
  else if (r.top < margin) window.scrollBy(0, r.top - margin);
};
// coffreZoomable makes a page's thumbnail a button that shows the page's
// photo large enough to read (two and a half screens wide, scrolled and
// pinched like any picture), over the form, with a button to close it:
// whether a page the check doubts is readable is hers to judge, and an
// 88-pixel thumbnail cannot show it. blob() gives the photo. Words:
// data-msg-zoom ("{0}": the page's number) and data-msg-close.
window.coffreZoomable = function (form, img, n, blob) {
  'use strict';
  // Without the photo (a page stored before a reload keeps only its
  // thumbnail) the thumbnail stays a picture, not a button that does nothing.
  if (!window.HTMLDialogElement || !window.coffreZoom || !blob()) return img;
  var ds = form.dataset;
  var b = document.createElement('button');
  b.type = 'button';
  b.className = 'zoomable';
  b.setAttribute('aria-label', (ds.msgZoom || '').replace('{0}', n));
  b.appendChild(img);
  b.addEventListener('click', function () {
    var photo = blob();
    if (!photo) return;
    var url = URL.createObjectURL(photo);
    window.coffreZoom(url, img.alt, ds.msgClose, function () { URL.revokeObjectURL(url); b.focus(); });
  });
  return b;
};
