"""Thin entry point; the logic is in
`mmfeatdistill.tools.train_tofd_teacher_heads`."""
from mmfeatdistill.tools.train_tofd_teacher_heads import main

if __name__ == '__main__':
    main()
