// Coffre: passkeys (WebAuthn). Opening with the phone on the sign-in
// pages, adding a passkey, and confirming a sensitive action with one
// instead of typing the secret. The pages work without it (the secret
// forms stay). The PRF output the phone gives stays in this script's
// memory: sent to Coffre with the answer it came with (and once more with
// the secret when the vault asks for it), never stored here.
(function () {
  'use strict';
  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) return;
  var words = document.getElementById('pk');
  if (!words) return;
  var w = words.dataset;

  function b64u(buf) {
    var b = new Uint8Array(buf), s = '';
    for (var i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function unb64u(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), b = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    return b.buffer;
  }
  function csrf() {
    var i = document.querySelector('input[name=csrf]');
    return i ? i.value : '';
  }
  // api sends JSON and rejects with the server's message (in the page's
  // language) and code.
  function api(path, body) {
    return fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(body || {})
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) {
          var e = new Error((j.error && j.error.message) || w.failed);
          e.code = j.error && j.error.code;
          throw e;
        }
        return j;
      });
    });
  }
  function prfIn(ext) {
    if (ext && ext.prf && ext.prf.eval && ext.prf.eval.first) ext.prf.eval.first = unb64u(ext.prf.eval.first);
  }
  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = unb64u(pk.challenge);
    pk.user.id = unb64u(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
    prfIn(pk.extensions);
    return pk;
  }
  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = unb64u(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = unb64u(c.id); });
    prfIn(pk.extensions);
    return pk;
  }
  // credJSON is the answer as go-webauthn reads it; prf is filled with the
  // PRF output (base64url), if any.
  function credJSON(cred, prf) {
    var r = cred.response, ext = cred.getClientExtensionResults() || {};
    var out = { id: cred.id, rawId: b64u(cred.rawId), type: cred.type, response: { clientDataJSON: b64u(r.clientDataJSON) }, clientExtensionResults: {} };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = b64u(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = b64u(r.authenticatorData);
      out.response.signature = b64u(r.signature);
      if (r.userHandle) out.response.userHandle = b64u(r.userHandle);
    }
    if (ext.prf) {
      var p = {};
      if (typeof ext.prf.enabled === 'boolean') p.enabled = ext.prf.enabled;
      if (ext.prf.results && ext.prf.results.first) {
        p.results = { first: b64u(ext.prf.results.first) };
        if (prf) prf.value = p.results.first;
      }
      out.clientExtensionResults.prf = p;
    }
    return out;
  }
  function message(err) {
    if (err && (err.name === 'NotAllowedError' || err.name === 'AbortError')) return w.cancelled;
    if (err && err.code) return err.message;
    return w.failed;
  }
  function assertion(optionsPath, answerPath, extra) {
    return api(optionsPath).then(function (o) {
      return navigator.credentials.get({ publicKey: requestOptions(o) });
    }).then(function (cred) {
      var body = { credential: credJSON(cred) };
      for (var k in extra || {}) body[k] = extra[k];
      return api(answerPath, body);
    });
  }

  // Signing in: "Open with my phone" first, the secret form below; the
  // browser's autofill offers the passkeys too where it can.
  var login = document.querySelector('[data-passkey-login]');
  if (login) {
    var err = document.getElementById('passkey-error');
    var secretForm = document.getElementById('passkey-secret');
    var secretInput = document.getElementById('passkey-secret-input');
    var why = document.getElementById('passkey-secret-why');
    var openBtn = document.getElementById('passkey-open');
    var waiting = null, ticket = '', prf = { value: '' };
    login.hidden = false;
    var show = function (e) {
      // Signing in, "not confirmed" is most often a phone with no passkey
      // for Coffre yet: say what to do instead of "try again".
      var cancelled = e && (e.name === 'NotAllowedError' || e.name === 'AbortError');
      err.textContent = cancelled && login.dataset.nokey ? login.dataset.nokey : message(e);
      err.hidden = false;
    };
    var signedIn = function (res) {
      if (res.status === 'needs_secret') {
        ticket = res.ticket;
        why.textContent = prf.value ? login.dataset.secretreenrol : login.dataset.secretonce;
        secretForm.hidden = false;
        openBtn.hidden = true;
        secretInput.focus();
        return;
      }
      prf.value = '';
      var next = login.dataset.next;
      var kind = res.session && res.session.kind;
      if (!next || next === '/' || (login.dataset.kind && kind !== login.dataset.kind) || res.next === '/account') next = res.next;
      location.assign(next);
    };
    var signIn = function (mediation) {
      if (waiting) waiting.abort();
      var ctl = new AbortController();
      waiting = ctl;
      prf.value = '';
      var body;
      return api('/api/v1/passkeys/login/options').then(function (o) {
        var req = { publicKey: requestOptions(o), signal: ctl.signal };
        if (mediation) req.mediation = mediation;
        return navigator.credentials.get(req);
      }).then(function (cred) {
        if (waiting === ctl) waiting = null;
        body = credJSON(cred, prf);
        err.hidden = true;
        return api('/api/v1/passkeys/login', { credential: body });
      }).then(signedIn, function (e) {
        if (e && e.code === 'passkey_unknown' && body && PublicKeyCredential.signalUnknownCredential) {
          PublicKeyCredential.signalUnknownCredential({ rpId: location.hostname, credentialId: body.rawId }).catch(function () {});
        }
        throw e;
      });
    };
    openBtn.addEventListener('click', function () {
      signIn().catch(function (e) { if (!(e && e.name === 'AbortError' && waiting)) show(e); });
    });
    secretForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = { ticket: ticket, secret: secretInput.value };
      if (prf.value) body.prf = prf.value;
      api('/api/v1/passkeys/login/secret', body).then(signedIn, function (e) {
        if (e.code === 'passkey_expired' || e.code === 'passkey_unknown') {
          secretForm.hidden = true;
          openBtn.hidden = false;
        }
        show(e);
      });
    });
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
        if (ok) signIn('conditional').catch(function (e) { if (!(e && e.name === 'AbortError')) show(e); });
      }).catch(function () {});
    }
  }

  // confirm proves the person again with a passkey (sudo), for the forms
  // that ask for the secret.
  var confirmDone = function () {
    document.querySelectorAll('input[name=confirm_secret]').forEach(function (i) {
      i.required = false;
      i.value = '';
      i.hidden = true;
      var l = document.querySelector('label[for="' + i.id + '"]');
      if (l) l.hidden = true;
      var h = i.getAttribute('aria-describedby');
      if (h && document.getElementById(h)) document.getElementById(h).hidden = true;
    });
    document.querySelectorAll('[data-passkey-confirm]').forEach(function (b) {
      b.hidden = true;
      b.nextElementSibling.textContent = w.confirmed;
    });
  };
  if (w.has === '1') {
    document.querySelectorAll('input[name=confirm_secret]').forEach(function (input) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'btn';
      b.textContent = w.confirm;
      b.setAttribute('data-passkey-confirm', '');
      var st = document.createElement('p');
      st.setAttribute('role', 'status');
      st.className = 'small';
      input.insertAdjacentElement('afterend', b);
      b.insertAdjacentElement('afterend', st);
      b.addEventListener('click', function () {
        b.disabled = true;
        st.textContent = w.working;
        assertion('/api/v1/reauth/passkey/options', '/api/v1/reauth/passkey').then(confirmDone, function (e) {
          st.textContent = message(e);
        }).then(function () { b.disabled = false; });
      });
    });
  }

  // unlock gives a passkey its PRF wrap (one more touch of the phone).
  var unlock = function (id) {
    return assertion('/api/v1/passkeys/' + encodeURIComponent(id) + '/unlock/options', '/api/v1/passkeys/' + encodeURIComponent(id) + '/unlock');
  };
  document.querySelectorAll('[data-passkey-unlock]').forEach(function (b) {
    b.hidden = false;
    b.addEventListener('click', function () {
      b.disabled = true;
      unlock(b.getAttribute('data-passkey-unlock')).then(function () {
        location.assign(location.pathname + '?done=passkeyreenrolled');
      }, function (e) {
        b.disabled = false;
        var st = b.closest('li').querySelector('.passkey-state');
        if (st) st.textContent = message(e);
      });
    });
  });

  // Adding a passkey: confirm (the secret typed in the form, the recovery
  // code the sheet page shows, or a passkey already), then create it, then
  // (when the phone gives the PRF output only at sign-in) one assertion.
  document.querySelectorAll('form[data-passkey-add]').forEach(function (form) {
    form.hidden = false;
    var hint = form.parentNode.querySelector('[data-passkey-unsupported]');
    if (hint) hint.hidden = true;
    var st = form.querySelector('[data-passkey-status]');
    var btn = form.querySelector('button[type=submit]');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var name = form.querySelector('input[name=name]').value.trim();
      var secret = form.querySelector('input[name=confirm_secret]');
      btn.disabled = true;
      st.textContent = w.working;
      var first;
      if (form.dataset.code) first = api('/api/v1/reauth', { recovery_code: form.dataset.code });
      else if (secret && secret.value) first = api('/api/v1/reauth', { secret: secret.value }).then(function () { secret.value = ''; });
      else first = Promise.resolve();
      first.then(function () {
        return api('/api/v1/passkeys/options');
      }).then(function (o) {
        return navigator.credentials.create({ publicKey: creationOptions(o) });
      }).then(function (cred) {
        return api('/api/v1/passkeys', { name: name, credential: credJSON(cred) });
      }).then(function (added) {
        if (!added.unlocks && added.prf) return unlock(added.id).then(function () { return 'unlocks'; });
        return added.unlocks ? 'unlocks' : 'signsin';
      }).then(function (kind) {
        if (form.dataset.back) {
          location.assign(form.dataset.back + (kind === 'unlocks' ? '?done=passkeyunlocks' : '?done=passkeysignsin'));
          return;
        }
        st.textContent = w[kind];
        btn.hidden = true;
      }, function (e) {
        st.textContent = message(e);
        btn.disabled = false;
      });
    });
  });
})();
