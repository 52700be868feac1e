"""Run the pipeline definition JSON on this machine: the same JSON SageMaker gets, no Docker, no AWS account.

expressions -- Parameters, Execution variables, step Properties, Std:Join, Std:JsonGet, conditions
emulator    -- the in-process AWS emulator (moto server on 127.0.0.1) and boto3 clients for it or for AWS
world       -- the emulator's state kept under .mlops/world between commands (a file lock serialises them)
storage     -- S3 inputs and outputs of a job, mirrored to and from the job's work folder
jobs        -- Processing and Training jobs as subprocesses under the remapped /opt/ml contract
tuning      -- the tuning job with Optuna: the definition's ranges, objective and trial budget
registry    -- CreateModelPackage (and its group) with boto3
progress    -- one line per step on stderr, with duration and outcome
runner      -- reads the definition, orders the steps, runs them, evaluates the gate
"""
