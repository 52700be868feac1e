"""The offline provider mirror is found where it exists, and nothing is written where it doesn't."""

from __future__ import annotations

from tools import tf_mirror


def test_explicit_mirror_is_used_and_config_written(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / tf_mirror.PROVIDER).mkdir(parents=True)
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))
    config = tf_mirror.write_cli_config(tmp_path / "cli.rc")
    text = config.read_text()
    assert f'path    = "{mirror}"' in text
    assert "filesystem_mirror" in text and "direct" in text


def test_no_mirror_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    monkeypatch.setattr(tf_mirror, "SEARCH_ROOTS", (str(tmp_path / "empty"),))
    assert tf_mirror.write_cli_config(tmp_path / "cli.rc") is None
    assert not (tmp_path / "cli.rc").exists()


def test_mirror_found_by_search(tmp_path, monkeypatch):
    monkeypatch.delenv("TF_PROVIDER_MIRROR", raising=False)
    (tmp_path / "a/b/plugins" / tf_mirror.PROVIDER).mkdir(parents=True)
    monkeypatch.setattr(tf_mirror, "SEARCH_ROOTS", (str(tmp_path),))
    assert tf_mirror.find_mirror() == tmp_path / "a/b/plugins"
