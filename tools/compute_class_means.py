"""Thin entry point; the logic is in
`mmfeatdistill.tools.compute_class_means`."""
from mmfeatdistill.tools.compute_class_means import main

if __name__ == '__main__':
    main()
