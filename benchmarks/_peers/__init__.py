"""The parts of ``benchmarks/peers.py``: the pairs and environments
(:mod:`.pairs`), the measurements every environment runs
(:mod:`.measuring`), one adapter per framework (:mod:`.ours`,
:mod:`.mmrazor_models`, :mod:`.torchdistill_box`), the driver that runs
the workers (:mod:`.driver`) and the results it writes (:mod:`.report`).

Standard library only at import (each adapter imports its framework when
it builds): a worker imports this package in a peer's environment, where
the repository is not on the path (``peers.py`` runs as a script there,
so this package is ``_peers``, not ``benchmarks._peers``), and relative
imports keep it whole either way.
"""
