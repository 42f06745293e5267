"""fsutil: the spool's directories are made safely by processes running at once."""

from __future__ import annotations

import os
import threading

import pytest

from mailtools.errors import TempFailure
from mailtools.fsutil import ensure_real_dir


def test_many_creators_at_once_all_succeed(tmp_path):
    # Found by the hostile-input run: 40 pipes creating bounces/tmp at the same moment
    # got "File exists" (75) between one's check and its mkdir.
    for round_ in range(50):
        path = tmp_path / f"d{round_}"
        errors: list[Exception] = []

        def make(path=path, errors=errors):
            try:
                ensure_real_dir(str(path))
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=make) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [] and path.is_dir()


def test_a_link_or_a_file_in_its_place_is_refused(tmp_path):
    (tmp_path / "target").mkdir()
    os.symlink(tmp_path / "target", tmp_path / "link")
    (tmp_path / "file").write_text("x")
    for name, says in (("link", "a symlink"), ("file", "not a directory")):
        with pytest.raises(TempFailure, match=says):
            ensure_real_dir(str(tmp_path / name))
