// Coffre: subscribe this browser to Web Push notifications (settings page).
// The page works without it: e-mail and the inbox need no script.
(function () {
  'use strict';
  var box = document.querySelector('[data-push]');
  if (!box || !('serviceWorker' in navigator) || !('PushManager' in window) || !window.fetch) return;
  var status = box.querySelector('[data-push-status]');
  box.hidden = false;
  function key(b64) {
    var s = (b64 + '='.repeat((4 - b64.length % 4) % 4)).replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(s), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  var secret = box.querySelector('[data-push-secret]');
  var csrf = box.getAttribute('data-csrf');
  // A new address for alerts needs the secret typed again in this session
  // (unless it was within the last minutes): it is checked first, so a
  // wrong one subscribes nothing.
  function confirmFirst() {
    if (!secret || !secret.value) return Promise.resolve();
    return fetch('/api/v1/reauth', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ secret: secret.value })
    }).then(function (res) {
      if (res.ok) { secret.value = ''; return; }
      return res.json().then(function (j) { throw new Error(j && j.error && j.error.message ? j.error.message : ''); },
        function () { throw new Error(''); });
    });
  }
  function fail(err) {
    status.textContent = (err && err.message) || box.getAttribute('data-fail');
  }
  box.querySelector('button').addEventListener('click', function () {
    confirmFirst().then(function () {
      return navigator.serviceWorker.register('/sw.js', { scope: '/' });
    }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.getAttribute('data-key')) });
    }).then(function (sub) {
      return fetch('/api/v1/notifications/contacts', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ channel: 'push', subscription: sub.toJSON() })
      });
    }).then(function (res) {
      if (res.ok || res.status === 409) {
        location.assign('/messages/settings?done=pushadded');
      } else {
        return res.json().then(function (j) { fail(new Error(j && j.error && j.error.message ? j.error.message : '')); },
          function () { fail(); });
      }
    }).catch(fail);
  });
})();
