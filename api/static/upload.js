// Coffre: the owner's "add a paper" form sends smaller photos, with a
// progress bar. Without this script the form posts the files as they are.
(function () {
  'use strict';
  var form = document.querySelector('form[data-upload]');
  if (!form || !window.FormData || !window.coffreShrink) return;
  var bar = form.querySelector('[data-progress]');
  var button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var files = [];
    form.querySelectorAll('input[type=file]').forEach(function (i) {
      for (var k = 0; k < i.files.length; k++) files.push(i.files[k]);
    });
    button.disabled = true;
    Promise.all(files.map(window.coffreShrink)).then(function (pages) {
      var fd = new FormData();
      fd.append('csrf', form.elements.csrf.value); // first part, as the server wants
      ['type', 'title', 'expires'].forEach(function (n) { if (form.elements[n]) fd.append(n, form.elements[n].value); });
      pages.forEach(function (b, k) { fd.append('page', b, 'page' + (k + 1) + (b.type === 'image/jpeg' ? '.jpg' : '')); });
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      bar.hidden = false;
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
      xhr.onload = function () {
        if (xhr.status < 400) { window.location.assign(xhr.responseURL); return; }
        var doc = new DOMParser().parseFromString(xhr.responseText, 'text/html');
        var main = doc.getElementById('main');
        if (main) document.getElementById('main').replaceWith(main);
        var err = document.querySelector('.error');
        if (err) { err.setAttribute('tabindex', '-1'); err.focus(); }
      };
      xhr.onerror = function () { button.disabled = false; bar.hidden = true; };
      xhr.send(fd);
    });
  });
})();
