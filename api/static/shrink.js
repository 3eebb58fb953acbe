// Coffre: photos are made smaller in the browser before they are sent
// (long side at most 2400 px, JPEG quality 0.85): a page costs a few hundred
// KB instead of several MB on a weak connection, and the photo's metadata
// (place, phone) is dropped. What cannot be decoded here (a PDF, HEIC on
// some browsers) is sent as it is; the server converts it.
window.coffreShrink = function (file) {
  'use strict';
  var MAX = 2400, QUALITY = 0.85;
  if (!/^image\//.test(file.type) || !window.createImageBitmap) return Promise.resolve(file);
  return createImageBitmap(file, { imageOrientation: 'from-image' }).then(function (bmp) {
    var s = Math.min(1, MAX / Math.max(bmp.width, bmp.height));
    var c = document.createElement('canvas');
    c.width = Math.round(bmp.width * s);
    c.height = Math.round(bmp.height * s);
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    if (bmp.close) bmp.close();
    return new Promise(function (resolve) {
      c.toBlob(function (b) { resolve(b && b.size > 0 ? b : file); }, 'image/jpeg', QUALITY);
    });
  }).catch(function () { return file; });
};
