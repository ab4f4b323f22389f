# KD on the logits + feature MSE on the last stage (through a 1x1 conv
# connector): the foundation's generic losses on the Fashion-MNIST pair.
_base_ = ['../_base_/fmnist_distill_pair.py']
model = dict(
    type='FeatureDistiller',
    student=_base_.student,
    teacher=_base_.teacher,
    teacher_ckpt=_base_.teacher_ckpt,
    teacher_norm_eval=True,
    student_recorders=dict(
        stage4=dict(type='ModuleOutputRecorder', source='backbone.layer4'),
        logits=dict(type='ModuleOutputRecorder', source='head.fc')),
    teacher_recorders=dict(
        stage4=dict(type='ModuleOutputRecorder', source='backbone.layer4'),
        logits=dict(type='ModuleOutputRecorder', source='head.fc')),
    connectors=dict(s_stage4=dict(type='ConvConnector', in_channels=64,
                                  out_channels=256, norm_cfg=dict(type='BN'))),
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', tau=4.0, loss_weight=1.0),
        loss_mse_stage4=dict(type='FeatureMSELoss', loss_weight=1.0)),
    loss_forward_mappings=dict(
        loss_kd=dict(s_logits=dict(from_student=True, recorder='logits'),
                     t_logits=dict(from_student=False, recorder='logits')),
        loss_mse_stage4=dict(
            s_feature=dict(from_student=True, recorder='stage4',
                           connector='s_stage4'),
            t_feature=dict(from_student=False, recorder='stage4'))),
)
