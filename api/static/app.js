// Coffre: small enhancements shared by every page. The pages work without it.
(function () {
  'use strict';
  // Plural forms as the server says them: the catalogue gives the forms of a
  // message by CLDR category (a JSON object, data-plural…), the browser's
  // Intl.PluralRules picks the category of n for the page's language, with
  // the same CLDR rules the server uses. {0} is the count.
  window.coffrePlural = function (forms, n) {
    if (typeof forms === 'string') {
      try { forms = JSON.parse(forms); } catch (e) { forms = {}; }
    }
    forms = forms || {};
    var cat = 'other';
    try {
      cat = new Intl.PluralRules(document.documentElement.lang || 'fr').select(n);
    } catch (e) { cat = 'other'; }
    return (forms[cat] || forms.other || '').split('{0}').join(String(n));
  };
  // "Listen": the browser reads the page aloud in the page's language.
  var listen = document.querySelector('[data-listen]');
  if (listen && 'speechSynthesis' in window && window.SpeechSynthesisUtterance) {
    var label = listen.querySelector('span');
    var idle = label.textContent;
    window.speechSynthesis.getVoices(); // starts loading the voices
    listen.hidden = false;
    listen.addEventListener('click', function () {
      var synth = window.speechSynthesis;
      if (synth.speaking) {
        synth.cancel();
        return;
      }
      // A voice of the page's language, else of its base language (a
      // Persian voice for Dari, a French one for easy-read French); none:
      // the page says so, in its language.
      var want = (document.documentElement.lang || '').toLowerCase(), base = want.split('-')[0], voice = null, near = null;
      synth.getVoices().forEach(function (v) {
        var l = (v.lang || '').toLowerCase().replace('_', '-');
        if (l === want) voice = voice || v;
        else if (l.split('-')[0] === base) near = near || v;
      });
      voice = voice || near;
      var status = document.getElementById('listen-status');
      if (!voice) {
        if (status) {
          status.textContent = listen.getAttribute('data-novoice');
          status.hidden = false;
        }
        return;
      }
      if (status) status.hidden = true;
      var main = document.getElementById('main');
      var u = new SpeechSynthesisUtterance(main ? main.innerText : document.body.innerText);
      u.voice = voice;
      u.lang = voice.lang;
      u.rate = 0.9;
      u.onend = u.onerror = function () { label.textContent = idle; };
      label.textContent = listen.getAttribute('data-stop');
      synth.speak(u);
    });
  }
  // A tap that sends a form with no network would show the browser's own
  // error page, in its words, and lose the page: the tap does nothing, and
  // the page says why, next to what was tapped, in the page's language.
  // The helper's page (drop.js) waits for the network by itself.
  // A page that shows a secret (the recovery sheet) is asked again when the
  // phone's Back button brings it out of the browser's back-forward cache:
  // once the code is kept, Back shows that it is, not the code.
  // The page is fetched again by its address (a GET: the page may be the
  // answer to a form, which a plain reload would send again).
  var fresh = document.querySelector('[data-reload-on-back]');
  if (fresh) {
    window.addEventListener('pagehide', function () {
      document.querySelectorAll('.code').forEach(function (el) { el.textContent = ''; });
    });
    window.addEventListener('pageshow', function (ev) {
      if (ev.persisted) window.location.replace(fresh.getAttribute('data-reload-on-back'));
    });
  }
  // A page that answers a form (a mistake to correct, shown again) makes
  // its history entry the GET of its address: Back or a reload later asks
  // for the page afresh, never the browser's "resubmit the form?" page.
  var canonical = document.querySelector('[data-canonical]');
  if (canonical && window.history && history.replaceState) {
    history.replaceState(null, '', canonical.getAttribute('data-canonical'));
  }
  // A secret typed to confirm was missing or wrong: the message goes beside
  // the field (the one on top may be screens away) and the cursor in it.
  var failed = document.querySelector('[data-confirm-failed]');
  if (failed) {
    var sel = 'input[name=confirm_secret]:not([type=hidden])';
    var field = null;
    document.querySelectorAll('form').forEach(function (f) {
      if (!field && f.getAttribute('action') === failed.getAttribute('data-confirm-failed')) field = f.querySelector(sel);
    });
    field = field || document.querySelector(sel);
    var top = document.querySelector('main > .error span');
    if (field && top) {
      var note = document.createElement('p');
      note.className = 'error-text';
      note.id = (field.id || 'confirm') + '-error';
      note.textContent = top.textContent;
      field.insertAdjacentElement('afterend', note);
      field.setAttribute('aria-invalid', 'true');
      field.setAttribute('aria-describedby', ((field.getAttribute('aria-describedby') || '') + ' ' + note.id).trim());
      field.scrollIntoView({ block: 'center' });
      field.focus({ preventScroll: true });
    }
  }
  // A secret typed blind on a phone is often mistyped: each secret field
  // has a button that shows what was typed (and hides it again).
  var showWord = document.body.getAttribute('data-show-secret');
  var hideWord = document.body.getAttribute('data-hide-secret');
  if (showWord && hideWord) {
    document.querySelectorAll('input[type=password]').forEach(function (input) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn reveal';
      b.textContent = showWord;
      b.setAttribute('aria-pressed', 'false');
      if (input.id) b.setAttribute('aria-controls', input.id);
      b.addEventListener('click', function () {
        var shown = input.type === 'password';
        input.type = shown ? 'text' : 'password';
        b.textContent = shown ? hideWord : showWord;
        b.setAttribute('aria-pressed', shown ? 'true' : 'false');
      });
      // Sent as a secret field, whatever it shows.
      if (input.form) input.form.addEventListener('submit', function () { input.type = 'password'; });
      input.insertAdjacentElement('afterend', b);
    });
  }
  // The notice waits in a template, out of the page, until it is needed.
  var offlineTpl = document.getElementById('net-offline-tpl');
  if (offlineTpl && offlineTpl.content && 'onLine' in navigator) {
    var offline = null;
    document.addEventListener('submit', function (ev) {
      var form = ev.target;
      if (navigator.onLine !== false || !form || form.id === 'drop') return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
      offline = offline || offlineTpl.content.firstElementChild.cloneNode(true);
      form.insertAdjacentElement('afterend', offline);
      offline.hidden = false;
      offline.scrollIntoView({ block: 'nearest' });
    }, true);
    window.addEventListener('online', function () { if (offline) offline.hidden = true; });
  }
  // coffreZoom shows the picture at src two and a half screens wide over
  // the page (scrolled and pinched like any picture), with a button
  // labelled close that closes it; done runs once it is closed.
  window.coffreZoom = function (src, alt, close, done) {
    var d = document.createElement('dialog');
    d.className = 'zoom';
    d.setAttribute('aria-label', alt);
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn';
    b.textContent = close || '×';
    b.addEventListener('click', function () { d.close(); });
    var img = document.createElement('img');
    img.alt = alt;
    img.src = src;
    d.appendChild(b);
    d.appendChild(img);
    d.addEventListener('close', function () { d.remove(); if (done) done(); });
    document.body.appendChild(d);
    d.showModal();
    b.focus();
  };
  // A paper's page previews open in it (without the script, the link
  // opens the page's picture alone).
  if (window.HTMLDialogElement) {
    document.querySelectorAll('a[data-zoom]').forEach(function (a) {
      a.addEventListener('click', function (ev) {
        ev.preventDefault();
        var img = a.querySelector('img');
        window.coffreZoom(a.href, img ? img.alt : '', a.getAttribute('data-zoom'), function () { a.focus(); });
      });
    });
  }
  // How many pages were chosen in a form with file inputs.
  document.querySelectorAll('form').forEach(function (form) {
    var out = form.querySelector('[data-chosen][data-plural]');
    if (!out || form.id === 'drop') return;
    form.addEventListener('change', function (ev) {
      // Only a file input changes the count (typing the paper's name
      // once set it to 0 on the owner's form, whose pages upload.js keeps).
      if (!ev.target || ev.target.type !== 'file') return;
      var n = 0;
      form.querySelectorAll('input[type=file]').forEach(function (i) { n += i.files.length; });
      out.textContent = window.coffrePlural(out.getAttribute('data-plural'), n);
    });
  });
  // While a worker shows a share code, the page asks every few seconds
  // whether it still works; once used (or expired) it reloads and shows who
  // shared, with no tap.
  var live = document.querySelector('[data-code-live]');
  if (live && window.fetch) {
    var tick = setInterval(function () {
      fetch(live.getAttribute('data-code-live'), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) {
          if (r.status === 410) { clearInterval(tick); window.location.reload(); }
          else if (r.status !== 204) clearInterval(tick); // signed out, or something else: stop asking
        })
        .catch(function () {}); // offline: ask again next time
    }, 4000);
  }
  // A button that takes a stop back goes when its minute is over (the
  // server would answer "too late").
  document.querySelectorAll('[data-undo-left]').forEach(function (f) {
    setTimeout(function () { f.remove(); }, Math.max(0, +f.getAttribute('data-undo-left') || 0));
  });
  // Copy or share a link.
  var src = document.querySelector('[data-copy-source]');
  var copy = document.querySelector('[data-copy]');
  if (src && copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener('click', function () {
      navigator.clipboard.writeText(src.value).then(function () {
        copy.querySelector('span').textContent = copy.getAttribute('data-done');
      });
    });
  }
  var share = document.querySelector('[data-share]');
  if (src && share && navigator.share) {
    share.hidden = false;
    share.addEventListener('click', function () {
      navigator.share({ title: share.getAttribute('data-title'), url: src.value }).catch(function () {});
    });
  }
})();
