// Coffre: small enhancements shared by every page. The pages work without it.
(function () {
  'use strict';
  // "Listen": the browser reads the page aloud in the page's language.
  var listen = document.querySelector('[data-listen]');
  if (listen && 'speechSynthesis' in window && window.SpeechSynthesisUtterance) {
    var label = listen.querySelector('span');
    var idle = label.textContent;
    listen.hidden = false;
    listen.addEventListener('click', function () {
      var synth = window.speechSynthesis;
      if (synth.speaking) {
        synth.cancel();
        return;
      }
      var main = document.getElementById('main');
      var u = new SpeechSynthesisUtterance(main ? main.innerText : document.body.innerText);
      u.lang = document.documentElement.lang;
      u.rate = 0.9;
      u.onend = u.onerror = function () { label.textContent = idle; };
      label.textContent = listen.getAttribute('data-stop');
      synth.speak(u);
    });
  }
  // How many pages were chosen in a form with file inputs.
  document.querySelectorAll('form').forEach(function (form) {
    var out = form.querySelector('[data-chosen][data-msg]');
    if (!out || form.id === 'drop') return;
    form.addEventListener('change', function () {
      var n = 0;
      form.querySelectorAll('input[type=file]').forEach(function (i) { n += i.files.length; });
      var one = (out.getAttribute('data-singular') || '1').split(',').indexOf(String(n)) >= 0;
      out.textContent = out.getAttribute(one ? 'data-msg-one' : 'data-msg').replace('{0}', n);
    });
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
