"""Thin entry point; the logic is in `mmfeatdistill.tools.inspect_pair`."""
from mmfeatdistill.tools.inspect_pair import main

if __name__ == '__main__':
    main()
