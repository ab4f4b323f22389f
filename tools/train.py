"""Thin entry point; the logic is in `mmfeatdistill.tools.train`."""
from mmfeatdistill.tools.train import main

if __name__ == '__main__':
    main()
