"""Thin entry point; the logic is in `mmfeatdistill.tools.export_student`."""
from mmfeatdistill.tools.export_student import main

if __name__ == '__main__':
    main()
