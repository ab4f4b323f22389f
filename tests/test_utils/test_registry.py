"""The package's registries: each is a child of MMEngine's registry of the
same name, in the ``mmfeatdistill`` scope (the children without components
of ours are declared in one table; a name bound to the wrong parent would
resolve lookups through the wrong registry)."""
import mmengine.registry as mmengine_registry

import mmfeatdistill.registry as registry


def test_every_registry_is_the_child_of_its_namesake():
    names = [
        n for n, v in vars(registry).items()
        if isinstance(v, mmengine_registry.Registry) and n.isupper()
        and not n.startswith('MMENGINE_')
    ]
    assert len(names) >= 20
    for name in names:
        child = getattr(registry, name)
        assert child.scope == 'mmfeatdistill', name
        assert child.parent is getattr(mmengine_registry, name), name
        assert child.name == child.parent.name, name
