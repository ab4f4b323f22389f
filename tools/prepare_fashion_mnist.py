"""Thin entry point; the logic is in
`mmfeatdistill.tools.prepare_fashion_mnist`."""
from mmfeatdistill.tools.prepare_fashion_mnist import main

if __name__ == '__main__':
    main()
