"""Fetching and unpacking the model zoo's tarballs.

`download` fetches a URL into a file with the standard library, resuming a
partial `<file>.part` with an HTTP Range request (after a cut connection, or
in a later run) and checking the size against the server's Content-Length;
the file appears under its name only once complete. `unpack` extracts a
.tar.gz refusing members that would land outside the folder, and
`find_checkpoint` finds the checkpoint inside by its `.index` file, since the
tarballs' inner folder names vary (protocols.md §4).
"""

import http.client
import os
import re
import tarfile
import urllib.error
import urllib.request

import tqdm

# Connections cut mid-body are resumed this many times before giving up.
_ATTEMPTS = 5
_CHUNK_BYTES = 1 << 20
_CONTENT_RANGE = re.compile(r'bytes (\d+)-(\d+)/(\d+)$')


class DownloadError(ValueError):
  """A download that did not complete, or not with the expected size."""


class TruncatedDownloadError(DownloadError):
  """A download that kept breaking off before its end."""


def _open(url, offset):
  """(response, bytes it resumes at, total size) for `url` from `offset`."""
  request = urllib.request.Request(url)
  if offset:
    request.add_header('Range', f'bytes={offset}-')
  try:
    response = urllib.request.urlopen(request, timeout=60)
  except urllib.error.HTTPError as error:
    if error.code == 416:
      raise DownloadError(
          f'{url}: the server has fewer than the {offset:,} bytes already '
          'downloaded; the partial file is not of this tarball.') from None
    raise DownloadError(f'{url}: HTTP {error.code} {error.reason}.') from None
  except (urllib.error.URLError, OSError) as error:
    reason = getattr(error, 'reason', error)
    raise DownloadError(f'{url}: cannot download ({reason}).') from None
  length = response.headers.get('Content-Length')
  if response.status == 206:
    match = _CONTENT_RANGE.match(response.headers.get('Content-Range', ''))
    if not match or int(match.group(1)) != offset:
      response.close()
      raise DownloadError(f'{url}: the server answered the resumption with '
                          'another byte range.')
    return response, offset, int(match.group(3))
  # 200: the server ignored the range and sends everything again.
  return response, 0, None if length is None else int(length)


def download(url, path, progress=True, kept=True):
  """Downloads `url` to `path`, resuming `path + '.part'` if it exists.

  Args:
    url: http(s) or file URL.
    path: where the complete file goes; an existing one is used as is.
    progress: draw a progress bar on stderr.
    kept: whether `path`'s folder outlives this call, so that a truncated
      download's error can offer resuming it.

  Returns:
    `path`.

  Raises:
    TruncatedDownloadError: if the connection keeps breaking; the partial
      file is kept for the next call to resume.
    DownloadError: if the server fails, or the bytes received differ from
      the announced size; the partial file is removed.
  """
  if os.path.isfile(path):
    return path
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  partial = path + '.part'
  total = None
  for _ in range(_ATTEMPTS):
    offset = os.path.getsize(partial) if os.path.exists(partial) else 0
    response, offset, size = _open(url, offset)
    if total is not None and size is not None and size != total:
      response.close()
      os.remove(partial)
      raise DownloadError(f'{url}: the size changed from {total:,} to '
                          f'{size:,} bytes while downloading; removed the '
                          'partial file.')
    total = size or total
    with response, open(partial, 'ab' if offset else 'wb') as out, tqdm.tqdm(
        total=total, initial=offset, unit='B', unit_scale=True,
        desc=os.path.basename(path), disable=not progress) as bar:
      try:
        while chunk := response.read(_CHUNK_BYTES):
          out.write(chunk)
          bar.update(len(chunk))
      except (http.client.IncompleteRead, ConnectionError, TimeoutError):
        pass  # Resumed below from what was written.
    received = os.path.getsize(partial)
    if total is None or received == total:
      break
    if received > total:
      os.remove(partial)
      raise DownloadError(f'{url}: received {received:,} bytes where the '
                          f'server announced {total:,}; removed the file.')
  if total is not None and received != total:
    raise TruncatedDownloadError(
        f'{url}: download truncated at {received:,} of {total:,} bytes after '
        f'{_ATTEMPTS} attempts' +
        (f'; kept {partial}, rerun to resume.' if kept else '.'))
  os.replace(partial, path)
  return path


def unpack(tarball, directory):
  """Extracts a .tar.gz into `directory`, every member checked to stay in it.

  Raises:
    DownloadError: for a file that is no readable tar.gz, or a member that
      is a link, a device, or a path leaving `directory`.
  """
  root = os.path.realpath(directory)
  try:
    with tarfile.open(tarball, 'r:*') as archive:
      members = archive.getmembers()
      for member in members:
        target = os.path.realpath(os.path.join(root, member.name))
        if not (member.isfile() or member.isdir()):
          raise DownloadError(f'{tarball}: member {member.name} is not a '
                              'plain file or folder; not extracted.')
        if os.path.commonpath([root, target]) != root:
          raise DownloadError(f'{tarball}: member {member.name} would be '
                              f'written outside {directory}; not extracted.')
      archive.extractall(root, members=members, filter='data')
  except (tarfile.TarError, EOFError, OSError) as error:
    raise DownloadError(f'{tarball}: not a readable .tar.gz ({error}).') \
        from None
  return directory


def find_checkpoint(directory):
  """The prefix of the one checkpoint (`<prefix>.index`) under `directory`.

  Raises:
    DownloadError: if there is none or more than one.
  """
  indexes = sorted(
      os.path.join(folder, name)
      for folder, _, names in os.walk(directory) for name in names
      if name.endswith('.index'))
  if len(indexes) != 1:
    found = ', '.join(os.path.relpath(path, directory) for path in indexes)
    raise DownloadError(f'{directory}: expected one checkpoint (*.index) in '
                        f'the tarball, found {len(indexes)}'
                        + (f': {found}.' if indexes else '.'))
  return indexes[0][:-len('.index')]
