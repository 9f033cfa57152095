"""An HTTP server on loopback serving files, with Range requests and faults.

For the download tests: `serve(files)` runs `http.server` in a thread;
`faults` makes it cut a response's body short or misreport a file's size.
"""

import contextlib
import http.server
import re
import threading

_RANGE = re.compile(r'bytes=(\d+)-$')


class _Handler(http.server.BaseHTTPRequestHandler):
  """GET of `server.files`, honouring 'Range: bytes=N-' (206)."""

  def log_message(self, *args):
    del args  # Quiet tests.

  def do_GET(self):
    server = self.server
    data = server.files.get(self.path)
    if data is None:
      self.send_error(404)
      return
    server.requests.append(dict(self.headers))
    number = len(server.requests)
    total = len(data) + server.faults.get('size_change_on', {}).get(number, 0)
    offset = 0
    match = _RANGE.match(self.headers.get('Range', ''))
    if match:
      offset = int(match.group(1))
      if offset >= total:
        self.send_error(416)
        return
      self.send_response(206)
      self.send_header('Content-Range', f'bytes {offset}-{total - 1}/{total}')
    else:
      self.send_response(200)
    body = data[offset:]
    self.send_header('Content-Length', str(total - offset))
    self.end_headers()
    cut = server.faults.get('cut', {}).get(number)
    if cut is not None:
      # Half of what was announced, then the connection closes.
      self.wfile.write(body[:cut])
      self.close_connection = True
      return
    self.wfile.write(body)


class _Server(http.server.ThreadingHTTPServer):

  def handle_error(self, request, client_address):
    del request, client_address  # A client hanging up on a cut response.


@contextlib.contextmanager
def serve(files, **faults):
  """Serves {path: bytes} on 127.0.0.1; yields (base URL, server).

  Args:
    files: {'/name.tar.gz': bytes}.
    **faults: `cut={request number: bytes}` sends only that many body bytes
      of that request (1-based) and closes the connection;
      `size_change_on={request number: extra bytes}` announces a size that
      much larger on that request.
  """
  server = _Server(('127.0.0.1', 0), _Handler)
  server.files = files
  server.faults = faults
  server.requests = []
  thread = threading.Thread(target=server.serve_forever, daemon=True)
  thread.start()
  try:
    yield f'http://127.0.0.1:{server.server_address[1]}', server
  finally:
    server.shutdown()
    server.server_close()
    thread.join()
