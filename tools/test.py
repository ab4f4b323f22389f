"""Thin entry point; the logic is in `mmfeatdistill.tools.test`."""
from mmfeatdistill.tools.test import main

if __name__ == '__main__':
    main()
