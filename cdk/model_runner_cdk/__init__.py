"""The CDK app that deploys the model-runner worker and the AWS resources it uses."""
