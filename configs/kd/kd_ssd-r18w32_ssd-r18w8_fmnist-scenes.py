# KD on the Fashion-MNIST scenes detection demo's pair: the reference row
# of logit distillation for a detector. The teacher's and the student's
# SSD heads give class scores (10 garments + background) for every anchor
# of the 4 levels; KD (softmax over the classes and the background, T 1)
# runs over the anchors the student head's own classification loss uses:
# the positives its assigner matched (`bbox_head.get_targets`, recorded)
# and, per image, the 3x as many hardest negatives (SSD's hard negative
# mining, neg_pos_ratio 3). Weight 1 beside the detector's losses; teacher
# in eval mode. Both heads have the same anchors and classes.
_base_ = ['../_base_/fmnist_scenes_det_pair.py']

head = dict(type='MethodOutputRecorder', source='bbox_head.forward')
model = dict(
    type='FeatureDistiller', **_base_.pair, teacher_norm_eval=True,
    student_recorders=dict(
        head=head, targets=dict(type='MethodOutputRecorder',
                                source='bbox_head.get_targets')),
    teacher_recorders=dict(head=head), distill_losses=dict(loss_kd=dict(
        type='AnchorKDLoss', tau=1.0, neg_pos_ratio=3, loss_weight=1.0)),
    loss_forward_mappings=dict(loss_kd=dict(
        s_scores=dict(from_student=True, recorder='head', index=0),
        t_scores=dict(from_student=False, recorder='head', index=0),
        labels=dict(from_student=True, recorder='targets', index=0))))
custom_hooks = _base_.task_hooks
