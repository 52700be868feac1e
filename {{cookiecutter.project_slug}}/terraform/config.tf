# Config conformance pack of this model: the SageMaker, S3, ECR, KMS and SNS managed rules that
# apply to its resources, scoped to resources tagged model=<slug>. The account's recorder and
# the FDA Part 11 pack live in the foundation.

resource "aws_config_conformance_pack" "model" {
  count = var.create_conformance_pack ? 1 : 0

  name          = "${local.name}-controls"
  template_body = file("${path.module}/conformance-packs/model-controls.yaml")

  input_parameter {
    parameter_name  = "ModelTagValue"
    parameter_value = local.slug
  }

  input_parameter {
    parameter_name  = "ModelKeyIds"
    parameter_value = join(",", [aws_kms_key.model.key_id, aws_kms_key.signing.key_id])
  }

  input_parameter {
    parameter_name  = "ObjectLockMode"
    parameter_value = local.object_lock_mode
  }
}
