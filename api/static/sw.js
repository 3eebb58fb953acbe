// Coffre's service worker: shows Web Push notifications and opens the vault
// when one is tapped. Payload: {"title","body","url","kind","tag"}; never a
// document or a token.
'use strict';
self.addEventListener('push', function (event) {
  var d = {};
  try { d = event.data ? event.data.json() : {}; } catch (e) { d = {}; }
  event.waitUntil(self.registration.showNotification(d.title || 'Coffre', {
    body: d.body || '', tag: d.tag || undefined, data: { url: d.url || '/messages' }
  }));
});
self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || '/messages';
  if (url.indexOf(self.location.origin + '/') !== 0 && url.charAt(0) !== '/') url = '/messages';
  event.waitUntil(self.clients.openWindow(url));
});
