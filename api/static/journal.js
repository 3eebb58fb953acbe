// Coffre: the owner's browser keeps the last checkpoint of the journal it
// saw (size and root hash, in localStorage) and at each visit asks the
// server for the proof that the journal still extends it: an RFC 6962
// consistency proof, checked here as golang.org/x/mod/sumdb/tlog.CheckTree
// does. A journal that went back (entries removed) or that no longer holds
// what was seen (entries changed, removed or moved) is said in plain words;
// the kept checkpoint is then not replaced.
(function () {
  'use strict';
  var box = document.getElementById('journal-proof');
  if (!box || !window.fetch || !window.crypto || !crypto.subtle || !window.localStorage) return;
  var store = 'coffre.journal.' + box.getAttribute('data-owner');
  var warning = document.getElementById('journal-warning');
  var checked = document.getElementById('journal-checked');

  function bytes(b64) {
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  function same(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  // A message that counts comes as its plural forms (JSON): the form for
  // the first argument is chosen as the server would (app.js).
  function fill(s, args) {
    if (s && s.slice(0, 2) === '{"' && window.coffrePlural) s = window.coffrePlural(s, args[0]);
    for (var i = 0; i < args.length; i++) s = s.split('{' + i + '}').join(String(args[i]));
    return s;
  }
  function warn(attr, args) {
    warning.querySelector('span').textContent = fill(box.getAttribute(attr), args || []);
    warning.hidden = false;
  }
  function keep(size, hash) {
    try { localStorage.setItem(store, JSON.stringify({ size: size, hash: hash })); } catch (e) { /* private mode */ }
  }
  // node is tlog.NodeHash: SHA-256(0x01 || left || right).
  function node(l, r) {
    var m = new Uint8Array(65);
    m[0] = 1; m.set(l, 1); m.set(r, 33);
    return crypto.subtle.digest('SHA-256', m).then(function (d) { return new Uint8Array(d); });
  }
  // maxpow2 is the largest power of two below n.
  function maxpow2(n) { var k = 1; while (k * 2 < n) k *= 2; return k; }
  // run is tlog's runTreeProof: the hashes of [lo, hi) in the old tree (n
  // leaves, hash old) and in the new one.
  function run(p, lo, hi, n, old) {
    if (n === hi) {
      if (lo === 0) {
        if (p.length !== 0) throw new Error('proof');
        return Promise.resolve([old, old]);
      }
      if (p.length !== 1) throw new Error('proof');
      return Promise.resolve([p[0], p[0]]);
    }
    if (p.length === 0) throw new Error('proof');
    var k = maxpow2(hi - lo), last = p[p.length - 1], rest = p.slice(0, -1);
    if (n <= lo + k) {
      return run(rest, lo, lo + k, n, old).then(function (r) {
        return node(r[1], last).then(function (th) { return [r[0], th]; });
      });
    }
    return run(rest, lo + k, hi, n, old).then(function (r) {
      return Promise.all([node(last, r[0]), node(last, r[1])]);
    });
  }
  // checkTree is tlog.CheckTree: p proves that the tree of size t and hash
  // th contains the tree of size n and hash h as a prefix.
  function checkTree(p, t, th, n, h) {
    return Promise.resolve().then(function () {
      if (t < 1 || n < 1 || n > t) return false;
      return run(p, 0, t, n, h).then(function (r) { return same(r[0], h) && same(r[1], th); });
    }).catch(function () { return false; });
  }

  var kept = null;
  try { kept = JSON.parse(localStorage.getItem(store) || 'null'); } catch (e) { kept = null; }
  var size = parseInt(box.getAttribute('data-size'), 10) || 0;
  if (!kept || !(kept.size > 0) || typeof kept.hash !== 'string') {
    if (size > 0) keep(size, box.getAttribute('data-hash'));
    return;
  }
  fetch('/api/v1/journal/proof?from=' + kept.size, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
    .then(function (p) {
      if (p.went_back || p.size < kept.size) {
        warn('data-went-back', [kept.size, p.size]);
        return;
      }
      return checkTree(p.proof.map(bytes), p.size, bytes(p.hash), kept.size, bytes(kept.hash)).then(function (ok) {
        if (!ok) {
          warn('data-not-extend', [kept.size]);
          return;
        }
        if (!p.signed) {
          warn('data-unsigned');
          return;
        }
        keep(p.size, p.hash);
        checked.textContent = fill(box.getAttribute('data-checked'), [kept.size]);
        checked.hidden = false;
      });
    })
    .catch(function () { /* offline: the check runs at the next visit */ });
})();
