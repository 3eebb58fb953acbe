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
  function fail() { status.textContent = box.getAttribute('data-fail'); }
  box.querySelector('button').addEventListener('click', function () {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(box.getAttribute('data-key')) });
    }).then(function (sub) {
      return fetch('/api/v1/notifications/contacts', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': box.getAttribute('data-csrf') },
        body: JSON.stringify({ channel: 'push', subscription: sub.toJSON() })
      });
    }).then(function (res) {
      if (res.ok || res.status === 409) {
        location.assign('/messages/settings?done=pushadded');
      } else {
        fail();
      }
    }).catch(fail);
  });
})();
