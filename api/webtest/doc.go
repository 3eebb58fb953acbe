// Package webtest holds the end-to-end tests of Coffre's web interface: a
// real headless Chromium (chromedp) at a 360×740 phone viewport drives the
// pages of a real server on 127.0.0.1 (real SQLite, real blob store), with
// axe-core injected into every page and screenshots saved under
// testoutput/screenshots/. The package has no code of its own.
package webtest
