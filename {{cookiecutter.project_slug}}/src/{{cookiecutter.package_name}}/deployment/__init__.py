"""Deployment: an approved package to the SageMaker endpoint (Terraform) or to the local server, and back.

candidates -- which package a deployment takes, and the checks that refuse it (signature, trail, metric gate)
history    -- what each target served, read from the audit trail: the current and the previous package
records    -- the deployment.* audit entries
terraform  -- the init / plan / show / apply commands for an environment, and running them
endpoint   -- what the SageMaker endpoint serves after an apply (an alarm may have rolled it back)
local      -- the package's archive, checked and unpacked, served through ``serving.control``
invoke     -- rows to the local server or the endpoint, predictions back
deploy     -- the whole deployment and rollback: checks, audit entries, the target's mechanism
"""
