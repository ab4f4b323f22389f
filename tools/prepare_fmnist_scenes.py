"""Thin entry point; the logic is in
`mmfeatdistill.tools.prepare_fmnist_scenes`."""
from mmfeatdistill.tools.prepare_fmnist_scenes import main

if __name__ == '__main__':
    main()
