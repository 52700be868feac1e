"""The model's SageMaker pipeline.

definition -- builds the definition JSON with the SageMaker SDK (the only module that imports it)
layout     -- step, parameter and path names the definition uses
targets    -- role, bucket, KMS key, VPC per environment: naming conventions offline, SSM for upsert
deploy     -- create/update, start and report the pipeline in SageMaker (boto3)
local      -- run the definition JSON on this machine
"""
