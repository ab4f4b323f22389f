"""Thin entry point; the logic is in `mmfeatdistill.tools.demo`."""
from mmfeatdistill.tools.demo import main

if __name__ == '__main__':
    main()
