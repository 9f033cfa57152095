"""Downloads over a real loopback HTTP server, and safe unpacking."""

import io
import os
import tarfile

import numpy as np
import tensorflow as tf

from official.zoo import download
from tests import loopback_server

_DATA = np.random.default_rng(0).integers(0, 256, 50_000, np.uint8).tobytes()


def _tarball(path, members):
  """Writes {name: bytes} as a .tar.gz."""
  with tarfile.open(path, 'w:gz') as archive:
    for name, data in members.items():
      info = tarfile.TarInfo(name)
      info.size = len(data)
      archive.addfile(info, io.BytesIO(data))
  return path


class DownloadTest(tf.test.TestCase):

  def _path(self):
    return os.path.join(self.get_temp_dir(), 'downloads', 'model.tar.gz')

  def test_downloads_whole_file(self):
    with loopback_server.serve({'/model.tar.gz': _DATA}) as (url, server):
      path = download.download(f'{url}/model.tar.gz', self._path(),
                               progress=False)
    self.assertEqual(open(path, 'rb').read(), _DATA)
    self.assertLen(server.requests, 1)
    self.assertNotIn('Range', server.requests[0])
    self.assertFalse(os.path.exists(path + '.part'))

  def test_resumes_after_a_cut_connection(self):
    with loopback_server.serve({'/model.tar.gz': _DATA},
                               cut={1: 20_000}) as (url, server):
      path = download.download(f'{url}/model.tar.gz', self._path(),
                               progress=False)
    self.assertEqual(open(path, 'rb').read(), _DATA)
    self.assertLen(server.requests, 2)
    self.assertEqual(server.requests[1]['Range'], 'bytes=20000-')

  def test_resumes_a_partial_file_of_an_earlier_run(self):
    path = self._path()
    os.makedirs(os.path.dirname(path))
    with open(path + '.part', 'wb') as f:
      f.write(_DATA[:30_000])
    with loopback_server.serve({'/model.tar.gz': _DATA}) as (url, server):
      download.download(f'{url}/model.tar.gz', path, progress=False)
    self.assertEqual(open(path, 'rb').read(), _DATA)
    self.assertEqual([request.get('Range') for request in server.requests],
                     ['bytes=30000-'])

  def test_truncated_download_is_an_error_and_keeps_the_part(self):
    path = self._path()
    cuts = {number: 1000 for number in range(1, 6)}
    with loopback_server.serve({'/model.tar.gz': _DATA},
                               cut=cuts) as (url, _):
      with self.assertRaises(download.DownloadError) as caught:
        download.download(f'{url}/model.tar.gz', path, progress=False)
    self.assertEqual(
        str(caught.exception),
        f'{url}/model.tar.gz: download truncated at 5,000 of 50,000 bytes '
        f'after 5 attempts; kept {path}.part, rerun to resume.')
    self.assertFalse(os.path.exists(path))
    self.assertEqual(os.path.getsize(path + '.part'), 5000)

  def test_size_changing_on_the_server_is_an_error(self):
    path = self._path()
    with loopback_server.serve({'/model.tar.gz': _DATA}, cut={1: 1000},
                               size_change_on={2: 7}) as (url, _):
      with self.assertRaises(download.DownloadError) as caught:
        download.download(f'{url}/model.tar.gz', path, progress=False)
    self.assertEqual(
        str(caught.exception),
        f'{url}/model.tar.gz: the size changed from 50,000 to 50,007 bytes '
        'while downloading; removed the partial file.')
    self.assertFalse(os.path.exists(path))
    self.assertFalse(os.path.exists(path + '.part'))

  def test_missing_file_is_an_error(self):
    with loopback_server.serve({}) as (url, _):
      with self.assertRaisesRegex(download.DownloadError,
                                  r'/nothing.tar.gz: HTTP 404 '):
        download.download(f'{url}/nothing.tar.gz', self._path(),
                          progress=False)


class UnpackTest(tf.test.TestCase):

  def test_unpacks_and_finds_the_checkpoint_by_its_index(self):
    tarball = _tarball(os.path.join(self.get_temp_dir(), 'a.tar.gz'), {
        'deeplabv3_x/frozen_inference_graph.pb': b'graph',
        'deeplabv3_x/model.ckpt-30000.index': b'index',
        'deeplabv3_x/model.ckpt-30000.data-00000-of-00001': b'data'})
    directory = download.unpack(tarball, os.path.join(self.get_temp_dir(),
                                                      'out'))
    self.assertEqual(download.find_checkpoint(directory),
                     os.path.join(directory, 'deeplabv3_x', 'model.ckpt-30000'))

  def test_member_leaving_the_folder_is_refused(self):
    tarball = _tarball(os.path.join(self.get_temp_dir(), 'evil.tar.gz'),
                       {'../escaped.txt': b'x'})
    directory = os.path.join(self.get_temp_dir(), 'out', 'inner')
    with self.assertRaisesRegex(
        download.DownloadError,
        r'evil.tar.gz: member ../escaped.txt would be written outside '):
      download.unpack(tarball, directory)
    self.assertFalse(os.path.exists(os.path.join(self.get_temp_dir(), 'out',
                                                 'escaped.txt')))

  def test_truncated_tarball_is_an_error(self):
    tarball = _tarball(os.path.join(self.get_temp_dir(), 'a.tar.gz'),
                       {'x/model.ckpt.index': _DATA})
    with open(tarball, 'rb') as f:
      data = f.read()
    with open(tarball, 'wb') as f:
      f.write(data[:len(data) // 2])
    with self.assertRaisesRegex(download.DownloadError,
                                r'a.tar.gz: not a readable .tar.gz'):
      download.unpack(tarball, os.path.join(self.get_temp_dir(), 'out'))

  def test_no_checkpoint_is_an_error(self):
    directory = self.get_temp_dir()
    with self.assertRaisesRegex(
        download.DownloadError,
        r'expected one checkpoint \(\*.index\) in the tarball, found 0.'):
      download.find_checkpoint(directory)


if __name__ == '__main__':
  tf.test.main()
