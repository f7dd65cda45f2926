/**
 * GET /capture and /capture.js: a viewer for the replaced system's protocol, written for
 * camrelay. It asks /video on its own host for a picture, draws each answer
 * scaled to fit the window, and asks again as soon as an answer arrives,
 * so decoding one picture overlaps waiting for the next. The script is a
 * file of its own so that pages can forbid inline scripts (CSP).
 */
export const CAPTURE_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>camrelay · capture</title>
<style>
  html, body { margin: 0; height: 100%; background: #000; overflow: hidden; }
  canvas { display: block; width: 100vw; height: 100vh; }
  #status { position: fixed; top: 8px; left: 8px; padding: 2px 6px; border-radius: 3px;
    font: 13px/1.4 system-ui, sans-serif; color: #fff; background: rgba(0, 0, 0, 0.55); }
</style>
</head>
<body>
<canvas id="view"></canvas>
<div id="status">connecting…</div>
<script src="/capture.js"></script>
</body>
</html>
`;

export const CAPTURE_SCRIPT = `'use strict';
(function () {
  var canvas = document.getElementById('view');
  var ctx = canvas.getContext('2d');
  var status = document.getElementById('status');
  var url = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/video';
  var picture = null;   // the last picture drawn, redrawn when the window changes size
  var received = 0;     // answers received, to draw pictures in order if decoding finishes out of order
  var drawn = 0;
  var counted = 0;
  var countedSince = performance.now();

  function draw() {
    var ratio = window.devicePixelRatio || 1;
    var w = Math.round(window.innerWidth * ratio);
    var h = Math.round(window.innerHeight * ratio);
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    if (!picture) return;
    var scale = Math.min(w / picture.width, h / picture.height);
    var dw = picture.width * scale;
    var dh = picture.height * scale;
    ctx.drawImage(picture, (w - dw) / 2, (h - dh) / 2, dw, dh);
  }

  function connect(retryMs) {
    var ws = new WebSocket(url);
    ws.onopen = function () {
      retryMs = 500;
      status.textContent = 'waiting for a picture…';
      ws.send('next');
    };
    ws.onmessage = function (event) {
      ws.send('next');
      var src;
      try { src = JSON.parse(event.data).img; } catch (e) { return; }
      var n = ++received;
      var img = new Image();
      img.onload = function () {
        if (n < drawn) return;
        drawn = n;
        picture = img;
        draw();
        counted++;
      };
      img.src = src;
    };
    ws.onclose = function () {
      status.textContent = 'disconnected, retrying…';
      setTimeout(function () { connect(Math.min(retryMs * 2, 10000)); }, retryMs);
    };
  }

  setInterval(function () {
    var now = performance.now();
    if (drawn) status.textContent = (counted * 1000 / (now - countedSince)).toFixed(1) + ' fps';
    counted = 0;
    countedSince = now;
  }, 1000);
  window.addEventListener('resize', draw);
  connect(500);
})();
`;
