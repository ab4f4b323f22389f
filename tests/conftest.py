"""Every test gets a stage cache of its own (``tools/demo.py``'s finished
stages and checkpoints), so no test reuses another's stages or the user's
``~/.cache/mmfeatdistill/stages``."""
import pytest


@pytest.fixture(autouse=True)
def own_stage_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('MMFD_STAGE_CACHE', str(tmp_path / 'stage_cache'))
